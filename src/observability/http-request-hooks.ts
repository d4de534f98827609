import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../common/errors/error-body';
import { REQUEST_ID_HEADER } from '../common/http/http-headers';
import { RequestContext } from '../request-context/request-context';
import { type HttpRequestRecords, UNMATCHED_ROUTE } from './http-request-records';
import { isOpenInferenceRequest } from '../common/http/open-inference-route';
import { TRACEPARENT_HEADER, traceIdOfTraceparent } from './w3c-trace-context';

declare module 'fastify' {
  interface FastifyRequest {
    /** Everything known about the request so far (request-context.ts), from its first hook on. */
    requestContext: RequestContext;
  }
}

/**
 * The HTTP side of the request context: made when a request arrives, and
 * told when its answer has gone out. Requests a Nest handler takes are
 * recorded by the latency-logging and metrics interceptors, which register
 * with the context; this hook records only what never reaches a handler
 * (unknown URLs, bodies the parser refused, guards' refusals, rate-limited
 * requests, the static /ui and /docs files), so every request leaves exactly
 * one log line and one duration observation.
 *
 * The records are written at the response's end, not when the handler
 * returns: an interceptor's observable completes before the reply is
 * written, and the duration a client sees includes the writing.
 */
export function installRequestHooks(fastify: FastifyInstance, records: HttpRequestRecords, refusals: RouterRefusals): void {
  refusals.records = records;
  fastify.decorateRequest('requestContext', null as unknown as RequestContext);
  fastify.addHook('onRequest', (request, reply, done) => {
    request.requestContext = contextOf(request, reply);
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    // A hook registered before this one may have answered without running ours (none does today).
    const context = request.requestContext ?? contextOf(request, reply);
    if (context.recorded) {
      context.finish(reply.statusCode, reply.elapsedTime);
    } else {
      records.observe(context, reply.statusCode, reply.elapsedTime);
      records.log(context, reply.statusCode, reply.elapsedTime);
    }
    done();
  });
}

function contextOf(request: FastifyRequest, reply: FastifyReply): RequestContext {
  const raw = reply.raw;
  const context = new RequestContext(
    request.id,
    'http',
    request.method,
    request.routeOptions.url ?? UNMATCHED_ROUTE,
    request.url,
    // Checked only when queued work is about to run: no listener per request.
    () => raw.destroyed && !raw.writableFinished,
  );
  // The caller's trace id, so logs and prediction records join its trace even with tracing off
  // (http-tracing.ts replaces it with the request span's when tracing is on).
  const traceparent = request.headers[TRACEPARENT_HEADER];
  if (traceparent !== undefined) context.traceId = traceIdOfTraceparent(traceparent);
  return context;
}

/**
 * Requests Fastify's router refuses before any hook runs: a URL whose
 * percent-encoding is malformed (400) and a path segment longer than the
 * router's maxParamLength (414). Fastify's own answers had neither the
 * service's error body nor a log line or a metric; given to the adapter as
 * `frameworkErrors`, this answers them like every other refusal, and records
 * them once the records exist.
 */
export class RouterRefusals {
  records: HttpRequestRecords | undefined;

  readonly frameworkErrors = (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
    const message =
      status === 414
        ? 'a segment of the URL path is longer than this service accepts; model names and versions are short'
        : 'the URL is malformed (invalid percent-encoding)';
    const body = errorBody(status, message);
    void reply
      .code(status)
      .header(REQUEST_ID_HEADER, request.id)
      .send(isOpenInferenceRequest(request) ? { error: body.message } : body);
    const context = contextOf(request, reply);
    this.records?.observe(context, status, reply.elapsedTime);
    this.records?.log(context, status, reply.elapsedTime);
  };
}
