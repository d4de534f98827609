import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';
import { errorBody } from '../common/error-body';
import { MODEL_VERSION_HEADER, REQUEST_ID_HEADER } from '../common/http-headers';
import { loggableUrl } from './loggable-url';
import type { MetricsService } from './metrics.service';

/** Label for requests that matched no route, so probes of random URLs share one series. */
const UNMATCHED_ROUTE = 'unmatched';

type RecordRequest = (request: FastifyRequest, statusCode: number, durationMs: number, version?: unknown) => void;

/**
 * Latency logging and HTTP metrics as Fastify hooks rather than Nest
 * interceptors: hooks also see the requests Nest never routes (unknown URLs,
 * bodies Fastify refused as malformed or too large), which are exactly the
 * ones an operator needs to see.
 */
export function installHttpObservability(
  fastify: FastifyInstance,
  metrics: MetricsService,
  logger: Logger,
  refusals: RouterRefusals,
): void {
  // One histogram child per method, route template and status, looked up by a string: prom-client's
  // observe(labels) hashes (sorts and joins) the label object on every call.
  const durations = new Map<string, Histogram.Internal<string>>();
  const record: RecordRequest = (request, statusCode, durationMs, version) => {
    const route = request.routeOptions?.url ?? UNMATCHED_ROUTE;
    const series = `${request.method} ${route} ${statusCode}`;
    let duration = durations.get(series);
    if (!duration) {
      duration = metrics.httpRequestDuration.labels({ method: request.method, route, status_code: String(statusCode) });
      durations.set(series, duration);
    }
    duration.observe(durationMs / 1000);
    if (!logger.isLevelEnabled('info')) return;
    const line: Record<string, unknown> = {
      request_id: request.id,
      method: request.method,
      route,
      url: loggableUrl(request.url),
      status_code: statusCode,
      duration_ms: Math.round(durationMs * 1000) / 1000,
    };
    const model = (request.params as Record<string, string> | undefined)?.name;
    if (version !== undefined && model) {
      line.model = model;
      line.version = Number(version);
    }
    logger.info(line, 'request completed');
  };
  refusals.record = record;

  fastify.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  fastify.addHook('onResponse', async (request, reply) => {
    record(request, reply.statusCode, reply.elapsedTime, reply.getHeader(MODEL_VERSION_HEADER));
  });
}

/**
 * Requests Fastify's router refuses before any hook runs: a URL whose
 * percent-encoding is malformed (400) and a path segment longer than the
 * router's maxParamLength (414). Fastify's own answers had neither the
 * service's error body nor a log line or a metric; given to the adapter as
 * `frameworkErrors`, this answers them like every other refusal, and the
 * request log and metrics (attached once they exist) see them.
 */
export class RouterRefusals {
  record: RecordRequest | undefined;

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
    this.record?.(request, status, reply.elapsedTime);
  };
}
