import type { FastifyInstance } from 'fastify';
import { callerAttributes, type ServerSpan, type SpanStarter } from './spans';

/**
 * A server span per HTTP request, from the first hook to the response sent
 * (the same span of time as the request's log line and duration metric),
 * installed only when tracing is on: an untraced service has no such hooks.
 * The span rides on the request context, which the runner and the batcher
 * hand their spans' parent from, and which names the version that answered.
 * Routes under `untracedPrefixes` (health probes, the metrics scrape) get no
 * span: platform traffic every few seconds that would bury the requests worth
 * looking at. Installed after the request hooks, which make the context.
 */
export function installRequestTracing(fastify: FastifyInstance, spans: SpanStarter, untracedPrefixes: readonly string[]): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route === undefined || !untracedPrefixes.some((prefix) => route.startsWith(prefix))) {
      const span = spans.httpRequest(request.method, route, pathOf(request.url), request.id, request.headers);
      request.requestContext.trace = span;
      request.requestContext.traceId = span.traceId;
    }
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const context = request.requestContext;
    // The onRequest hook above put it there: a server span, which alone can be ended.
    const span = context.trace as ServerSpan | undefined;
    if (span) {
      const status = reply.statusCode;
      span.end(
        status >= 500
          ? { 'http.response.status_code': status, 'error.type': String(status), ...callerAttributes(context) }
          : { 'http.response.status_code': status, ...callerAttributes(context) },
        status >= 500,
        context.model,
        context.version,
      );
    }
    done();
  });
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
