import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MODEL_VERSION_HEADER } from '../common/http-headers';
import { TRACEPARENT_HEADER, traceIdOfTraceparent } from './trace-context';
import type { ServerSpan, SpanStarter } from './tracing';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span, when tracing is on and its route is traced. */
    requestSpan?: ServerSpan | null;
  }
}

/**
 * A server span per HTTP request, from the first hook to the response sent
 * (the same span of time as the request's log line and duration metric),
 * installed only when tracing is on: an untraced service has neither these
 * hooks nor the request decoration. Routes under `untracedPrefixes` (health
 * probes, the metrics scrape) get no span: platform traffic every few
 * seconds that would bury the requests worth looking at.
 */
export function installRequestTracing(fastify: FastifyInstance, spans: SpanStarter, untracedPrefixes: readonly string[]): void {
  fastify.decorateRequest('requestSpan', null);
  fastify.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route === undefined || !untracedPrefixes.some((prefix) => route.startsWith(prefix))) {
      request.requestSpan = spans.httpRequest(request.method, route, pathOf(request.url), request.id, request.headers);
    }
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = request.requestSpan;
    if (span) {
      const status = reply.statusCode;
      const version = reply.getHeader(MODEL_VERSION_HEADER);
      const model = version === undefined ? undefined : (request.params as Record<string, string> | undefined)?.name;
      span.end(
        status >= 500 ? { 'http.response.status_code': status, 'error.type': String(status) } : { 'http.response.status_code': status },
        status >= 500,
        model,
        model === undefined ? undefined : Number(version),
      );
    }
    done();
  });
}

/**
 * The trace id of a request, for its log line and its prediction records:
 * its span's when it has one, else the caller's `traceparent`'s, so the
 * caller's trace can still be followed into this service's logs with tracing off.
 */
export function traceIdOfRequest(request: FastifyRequest): string | undefined {
  return request.requestSpan?.traceId ?? traceIdOfTraceparent(request.headers[TRACEPARENT_HEADER]);
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
