import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';
import { MODEL_VERSION_HEADER } from '../common/http-headers';
import { loggableUrl } from './loggable-url';
import type { MetricsService, PredictionOutcome } from './metrics.service';

/** Label for requests that matched no route, so probes of random URLs share one series. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * The two records every request leaves, written by the response hook
 * (response-recording.ts) and for router refusals: one observation of
 * http_request_duration_seconds and one JSON log line, with the model,
 * version and outcome when a model answered.
 */
export class HttpRequestRecords {
  // One histogram child per method, route template and status, looked up by a string: prom-client's
  // observe(labels) hashes (sorts and joins) the label object on every call.
  private readonly durations = new Map<string, Histogram.Internal<string>>();

  constructor(
    private readonly metrics: MetricsService,
    private readonly logger: Logger,
  ) {}

  observe(request: FastifyRequest, statusCode: number, durationMs: number): void {
    const route = request.routeOptions?.url ?? UNMATCHED_ROUTE;
    const series = `${request.method} ${route} ${statusCode}`;
    let duration = this.durations.get(series);
    if (!duration) {
      duration = this.metrics.httpRequestDuration.labels({ method: request.method, route, status_code: String(statusCode) });
      this.durations.set(series, duration);
    }
    duration.observe(durationMs / 1000);
  }

  log(request: FastifyRequest, statusCode: number, durationMs: number, version?: unknown): void {
    if (!this.logger.isLevelEnabled('info')) return;
    const line: Record<string, unknown> = {
      request_id: request.id,
      method: request.method,
      route: request.routeOptions?.url ?? UNMATCHED_ROUTE,
      url: loggableUrl(request.url),
      status_code: statusCode,
      duration_ms: Math.round(durationMs * 1000) / 1000,
    };
    const model = (request.params as Record<string, string> | undefined)?.name;
    if (version !== undefined && model) {
      line.model = model;
      line.version = Number(version);
      line.outcome = outcomeOf(statusCode);
    }
    this.logger.info(line, 'request completed');
  }
}

/** The request's outcome by its status, as model_predictions_total counts it. */
function outcomeOf(statusCode: number): PredictionOutcome {
  if (statusCode < 400) return 'success';
  if (statusCode < 500) return 'invalid_input';
  return statusCode === 503 ? 'rejected' : 'error';
}

/** The version that answered, as the handler put it in the response headers. */
export function answeringVersion(reply: { getHeader(name: string): unknown }): unknown {
  return reply.getHeader(MODEL_VERSION_HEADER);
}
