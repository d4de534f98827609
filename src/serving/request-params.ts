import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CACHE_HEADER, MODEL_VERSION_HEADER, REQUEST_KEY_HEADER, REQUEST_TIMEOUT_HEADER } from '../common/http/http-headers';
import { parseVersionSelector, type VersionSelector } from '../model-registry/requested-version';
import { deadlineOfTimeoutHeader } from '../request-context/deadline';
import type { RequestContext } from '../request-context/request-context';

/**
 * What a REST request says about how it wants to be served, read from its
 * headers in one place for every controller: which version (X-Model-Version,
 * X-Request-Key) and how long the caller waits (X-Request-Timeout-Ms). A
 * malformed header is the client's error, named in the 400.
 *
 * Which error a request with several mistakes gets: Nest reads a handler's
 * parameters in the reverse of their order in its signature (decorators apply
 * from the last parameter to the first) and answers with the first read that
 * throws; a failing pipe answers only after every read. A handler that checks
 * more than one thing lists its decorators from the last check to the first
 * (test/v1-request-checks.e2e.spec.ts pins the order /v1 reports in).
 */

/** The version a request asks for with X-Model-Version (and X-Request-Key for a canary split). */
export function requestedVersionOf(request: FastifyRequest): VersionSelector {
  return parseVersionSelector(request.headers[MODEL_VERSION_HEADER], request.headers[REQUEST_KEY_HEADER]);
}

/**
 * The version X-Model-Version names, X-Request-Key not read: for what is asked
 * about one version (its drift), not for a request the canary split serves.
 */
export function namedVersionOf(request: FastifyRequest): VersionSelector {
  return parseVersionSelector(request.headers[MODEL_VERSION_HEADER]);
}

/** The caller's own deadline (epoch ms) from X-Request-Timeout-Ms, undefined without one. */
export function callerDeadlineOf(request: FastifyRequest): number | undefined {
  return deadlineOfTimeoutHeader(request.headers[REQUEST_TIMEOUT_HEADER]);
}

/** The Fastify request a route handler is called for, for parameter decorators. */
export const httpRequest = (context: ExecutionContext): FastifyRequest => context.switchToHttp().getRequest<FastifyRequest>();

/** Parameter decorator: the VersionSelector of the request's headers. */
export const RequestedVersion = createParamDecorator((_data: unknown, context: ExecutionContext) => requestedVersionOf(httpRequest(context)));

/** Parameter decorator: the VersionSelector of X-Model-Version alone (see namedVersionOf). */
export const NamedVersion = createParamDecorator((_data: unknown, context: ExecutionContext) => namedVersionOf(httpRequest(context)));

/** Parameter decorator: the caller's deadline from X-Request-Timeout-Ms (epoch ms or undefined). */
export const CallerDeadline = createParamDecorator((_data: unknown, context: ExecutionContext) => callerDeadlineOf(httpRequest(context)));

/** Parameter decorator: the request's context (request id, trace, the version that served it, cache verdict...). */
export const Context = createParamDecorator((_data: unknown, context: ExecutionContext): RequestContext => httpRequest(context).requestContext);

/**
 * The headers of every answer a model gave, on every REST API: the version
 * that served it (X-Model-Version); for models with a response cache,
 * whether it came from the cache (X-Cache); for a deprecated version, its
 * notice (Deprecation, Sunset, Link: the notice's keys are their names).
 */
export function setModelAnswerHeaders(reply: FastifyReply, version: number, context?: RequestContext): void {
  void reply.header(MODEL_VERSION_HEADER, String(version));
  if (context === undefined) return;
  if (context.cache) void reply.header(CACHE_HEADER, context.cache === 'hit' ? 'HIT' : 'MISS');
  if (context.deprecation) void reply.headers(context.deprecation);
}
