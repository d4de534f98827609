import { createParamDecorator, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../common/errors/domain-error';
import { INFERENCE_HEADER_LENGTH } from '../common/http/http-headers';
import type { JsonLimits } from '../common/validation/json-limits';
import { AppConfig, jsonLimitsOf } from '../config/app-config';
import type { TensorMap } from '../inference/tensors';
import type { ReadyVersion } from '../model-registry/model-version';
import { sliceBinaryInputs, type EncodedBody } from './binary-codec';
import type { InferenceParts, InferenceWireFormat } from './inference-pipeline';
import type { DecodedInferenceRequest } from './request-decoder';
import { encodeInferenceResponse } from './response-encoder';
import { quoted } from '../common/errors/quoted';
import { ValidatedHeaders } from './validated-headers';

/** What /v2 REST reads an inference from: the body as the body parsers left it (an object, or bytes), and the headers. */
export type HttpInferenceMessage = Pick<FastifyRequest, 'body' | 'headers'>;

/**
 * Parameter decorator: the request, as the message of an inference, once its body is one this protocol
 * reads. A multipart or compressed body is refused before the route's other parameters are read (Nest
 * reads a route's parameters from the last one: this decorator goes after those that parse headers).
 */
export const InferenceMessage = createParamDecorator(
  (_data: unknown, context: ExecutionContext): HttpInferenceMessage => readableInference(context.switchToHttp().getRequest<FastifyRequest>()),
);

function readableInference(request: FastifyRequest): FastifyRequest {
  if (request.isMultipart()) {
    throw new DomainError(
      'BAD_REQUEST',
      'multipart/form-data is not an inference request; send the JSON request, optionally followed by binary tensor data',
    );
  }
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    // tritonclient can gzip or deflate requests on demand; read as JSON they would only give a confusing error.
    throw new DomainError(
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Encoding ${quoted(encoding, 40)} is not supported; send the request body uncompressed`,
    );
  }
  return request;
}

/**
 * /v2 REST's wire format: a JSON inference request, or Triton's binary tensor data extension (a JSON header
 * of Inference-Header-Content-Length bytes, then the inputs' bytes); the answer is JSON, or JSON then the
 * binary outputs when any were asked for.
 */
@Injectable()
export class HttpWireFormat implements InferenceWireFormat<HttpInferenceMessage, EncodedBody> {
  private readonly jsonLimits: JsonLimits;
  private readonly headers = new ValidatedHeaders();

  constructor(config: AppConfig) {
    this.jsonLimits = jsonLimitsOf(config);
  }

  /** The JSON request (parsed with the limits of JSON bodies, validated) and the binary data cut per input, every byte accounted for. */
  read(message: HttpInferenceMessage): InferenceParts {
    const { request, binary } = this.headers.read(message.body, message.headers[INFERENCE_HEADER_LENGTH], this.jsonLimits);
    return { request, binaryInputs: sliceBinaryInputs(request.inputs, binary) };
  }

  write(ready: ReadyVersion, request: DecodedInferenceRequest, outputs: TensorMap): EncodedBody {
    return encodeInferenceResponse(ready, request, outputs);
  }
}

/** The body of an inference's answer, with the Content-Type (and for binary outputs the header length) that tell how to read it. */
export function sendInferenceBody(reply: FastifyReply, { body, headerLength }: EncodedBody): string | Buffer {
  if (headerLength === undefined) {
    void reply.header('content-type', 'application/json; charset=utf-8');
  } else {
    void reply.header('content-type', 'application/octet-stream');
    void reply.header(INFERENCE_HEADER_LENGTH, String(headerLength));
  }
  return body;
}
