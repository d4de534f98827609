import type {} from '@fastify/multipart';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { validateFlatDto } from '../common/validation/dto-validation';
import { httpRequest } from '../serving/request-params';
import { PredictQueryDto, PredictRequestDto } from './dto/predict.dto';
import { isValidPredictRequest } from './dto/predict.schema';
import { type ImageUploads, readImageParts } from './multipart-images';

/**
 * What POST /v1/models/{name}/predict reads from its query string and body,
 * as parameter decorators. Both are checked here rather than by
 * class-validator's ValidationPipe: its async pass showed in profiles, and one
 * URL takes two kinds of body.
 */

/** A predict request's input: the instances of its JSON body, checked, or its uploaded images, read once the version that takes them is known. */
export type PredictInput = readonly unknown[] | ImageUploads;

/** `?top_k`, converted and checked; undefined when absent. */
export function requestedTopKOf(query: unknown): number | undefined {
  // Most calls have no query string at all; only a present one needs converting and checking.
  if (isEmpty(query)) return undefined;
  return validateFlatDto(PredictQueryDto, query, { convert: true, what: 'query string' }).top_k;
}

/** The instances of a JSON body (a missing body is checked as `{}`), or the images of a multipart one. */
export function predictInputOf(request: FastifyRequest): PredictInput {
  if (request.isMultipart()) return (maxTotalBytes) => readImageParts(request, maxTotalBytes);
  return validateFlatDto(PredictRequestDto, request.body ?? {}, { gate: isValidPredictRequest }).instances;
}

/** Parameter decorator: the request's `?top_k` (see requestedTopKOf). */
export const RequestedTopK = createParamDecorator((_data: unknown, context: ExecutionContext) => requestedTopKOf(httpRequest(context).query));

/** Parameter decorator: the request's input (see predictInputOf). */
export const PredictBody = createParamDecorator((_data: unknown, context: ExecutionContext) => predictInputOf(httpRequest(context)));

function isEmpty(query: unknown): boolean {
  return query === undefined || query === null || (typeof query === 'object' && Object.keys(query).length === 0);
}
