import { createParamDecorator, type ExecutionContext, Injectable, type PipeTransform } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../common/errors/domain-error';
import { quoted } from '../common/errors/quoted';
import { VERSION_PATTERN } from '../model-registry/model-store';

/**
 * A model version named in a URL path (`.../versions/{version}`), parsed by
 * ParsePathVersionPipe. An object, not a number, so that no pipe converting
 * by declared type (a ValidationPipe with transform on turns a `number`
 * parameter into `+value`) can make "01", "1e3" or "abc" into 1, 1000 or NaN
 * before this pipe refuses them by name.
 */
export interface PathVersion {
  readonly number: number;
}

/** The one parser of path versions, for /v2 and the admin API: a positive integer, as version folders are named. */
export function parsePathVersion(raw: string): PathVersion {
  if (!VERSION_PATTERN.test(raw)) {
    throw new DomainError('BAD_REQUEST', `the version in the path must be a positive integer (e.g. /versions/1), got ${quoted(raw)}`);
  }
  return { number: Number(raw) };
}

/** `@Param('version', ParsePathVersionPipe)`: for routes whose other parameters cannot fail. */
@Injectable()
export class ParsePathVersionPipe implements PipeTransform<string, PathVersion> {
  transform(raw: string): PathVersion {
    return parsePathVersion(raw);
  }
}

/**
 * The path's version as a parameter decorator, read as synchronously as the
 * request params beside it: Nest applies a parameter pipe only after every
 * decorator has been read, so on a route with decorators that can refuse
 * (a body, a header) a malformed path version would otherwise lose to them.
 */
export const PathVersionParam = createParamDecorator((_data: unknown, context: ExecutionContext): PathVersion =>
  parsePathVersion(context.switchToHttp().getRequest<FastifyRequest<{ Params: { version: string } }>>().params.version),
);
