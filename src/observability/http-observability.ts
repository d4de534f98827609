import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { MODEL_VERSION_HEADER } from '../model-registry/version-selector';
import type { MetricsService } from './metrics.service';
import { REQUEST_ID_HEADER } from './request-id';

/** Label for requests that matched no route, so probes of random URLs share one series. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * Latency logging and HTTP metrics as Fastify hooks rather than Nest
 * interceptors: hooks also see the requests Nest never routes (unknown URLs,
 * bodies Fastify refused as malformed or too large), which are exactly the
 * ones an operator needs to see.
 */
export function installHttpObservability(fastify: FastifyInstance, metrics: MetricsService, logger: Logger): void {
  fastify.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const durationMs = reply.elapsedTime;
    const statusCode = reply.statusCode;
    metrics.httpRequestDuration.observe(
      { method: request.method, route, status_code: String(statusCode) },
      durationMs / 1000,
    );
    const version = reply.getHeader(MODEL_VERSION_HEADER);
    const params = request.params as Record<string, string> | undefined;
    logger.info(
      {
        request_id: request.id,
        method: request.method,
        route,
        url: request.url.length > 256 ? `${request.url.slice(0, 256)}...` : request.url,
        status_code: statusCode,
        duration_ms: Math.round(durationMs * 1000) / 1000,
        ...(version !== undefined && params?.name ? { model: params.name, version: Number(version) } : {}),
      },
      'request completed',
    );
  });
}
