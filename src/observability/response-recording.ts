import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../common/error-body';
import { REQUEST_ID_HEADER } from '../common/http-headers';
import type { HttpRequestRecords } from './http-request-records';

/**
 * Latency logging and HTTP metrics as Fastify hooks rather than Nest
 * interceptors: one hook sees every request, routed or not (unknown URLs,
 * bodies the parser refused, guards' refusals), when its status and whole
 * duration are known, and writes exactly one metric observation and one log
 * line for it. Nest interceptors were built and measured: one global
 * interceptor, even one that only returns next.handle(), cost 25-30% of iris
 * requests/s (rxjs and Nest's observable chain on every request; see the
 * README's Benchmarks), more than the whole of this hook.
 */
export function installResponseRecording(fastify: FastifyInstance, records: HttpRequestRecords, refusals: RouterRefusals): void {
  refusals.records = records;
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  fastify.addHook('onResponse', async (request, reply) => {
    records.observe(request, reply.statusCode, reply.elapsedTime);
    records.log(request, reply.statusCode, reply.elapsedTime, reply);
  });
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
      .send(request.url.startsWith('/v2/') || request.url === '/v2' ? { error: body.message } : body);
    this.records?.observe(request, status, reply.elapsedTime);
    this.records?.log(request, status, reply.elapsedTime);
  };
}
