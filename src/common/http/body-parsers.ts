import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';
import { INFERENCE_HEADER_LENGTH } from './http-headers';
import { isOpenInferenceRequest } from './open-inference-route';
import { jsonLimitExceeded, type JsonLimits } from '../validation/json-limits';
import { describePoisoningKey, poisoningKeyPath } from '../validation/json-poisoning';

/**
 * Fastify's parser refuses a body holding `__proto__` (or `constructor.prototype`) as if it were
 * not JSON at all; when it is JSON, the refusal names the key and where it is. Only refused bodies
 * pay for the second parse.
 */
function poisoningRefusal(text: string): DomainError | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const path = poisoningKeyPath(value);
  return path === undefined ? undefined : new DomainError('BAD_REQUEST', `request body: ${describePoisoningKey(path)}`);
}

/** Tighter limits for the routes under a prefix, whose bodies are small by nature (the admin API's config). */
export interface RouteBodyLimits {
  readonly prefix: string;
  /** Most bytes of a body, counted as it arrives. */
  readonly bytes: number;
  readonly json: JsonLimits & { readonly fixedFor: string };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by installBodyParsers on the routes that have limits of their own. */
    bodyLimits?: RouteBodyLimits;
  }
}

/** The limits of the request's route, when it has its own. */
export function routeBodyLimits(request: FastifyRequest): RouteBodyLimits | undefined {
  return request.routeOptions.config?.bodyLimits;
}

/**
 * Which bodies reach the handlers:
 * - /v1 and the service's own routes take JSON (and multipart, registered by
 *   @fastify/multipart); anything else is a 415 before any handler runs.
 * - /v2 also takes bodies with no or any Content-Type as raw bytes, because
 *   Open Inference Protocol clients (tritonclient) send none, and binary
 *   tensor requests are a JSON header followed by raw bytes.
 */
export function installBodyParsers(
  fastify: FastifyInstance,
  bodyLimit: number,
  jsonLimits: JsonLimits,
  routeLimits: readonly RouteBodyLimits[] = [],
): void {
  // Set on the routes as they are registered: Fastify then counts their bodies against the route's byte
  // limit while they arrive, and the parser finds the route's JSON limits without matching URLs per request.
  fastify.addHook('onRoute', (route) => {
    const limits = routeLimits.find((candidate) => route.url.startsWith(candidate.prefix));
    if (!limits) return;
    route.bodyLimit = limits.bytes;
    route.config = { ...route.config, bodyLimits: limits };
  });
  const defaultJson = fastify.getDefaultJsonParser('error', 'error');
  const parseJson: typeof defaultJson = (request, text, done) => {
    const exceeded = jsonLimitExceeded(text as string, routeBodyLimits(request)?.json ?? jsonLimits);
    if (exceeded) done(new DomainError('BAD_REQUEST', `JSON body ${exceeded}`), undefined);
    else defaultJson(request, text, (error, body) => done(error ? (poisoningRefusal(text as string) ?? error) : null, body));
  };
  fastify.removeContentTypeParser(['application/json', 'text/plain']);
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    if (request.headers[INFERENCE_HEADER_LENGTH] !== undefined && isOpenInferenceRequest(request)) {
      done(null, body);
      return;
    }
    parseJson(request, (body as Buffer).toString('utf8'), done);
  });
  const rawBytes = (request: FastifyRequest, body: string | Buffer, done: (error: Error | null, body?: unknown) => void) => {
    if (isOpenInferenceRequest(request)) done(null, body);
    else done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined);
  };
  // Named as well as caught by '*': binary tensor requests are found without Fastify's catch-all lookup.
  fastify.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit }, rawBytes);
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, rawBytes);
}
