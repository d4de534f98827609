import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';
import { MODEL_VERSION_HEADER, RETRY_AFTER_HEADER } from '../common/http-headers';
import { traceIdOfRequest } from './http-tracing';
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

  /** `reply` carries the handler's X-Model-Version (and Retry-After): absent for requests no handler answered. */
  log(request: FastifyRequest, statusCode: number, durationMs: number, reply?: HeaderReader): void {
    if (!this.logger.isLevelEnabled('info')) return;
    const line: Record<string, unknown> = {
      request_id: request.id,
      method: request.method,
      route: request.routeOptions?.url ?? UNMATCHED_ROUTE,
      url: loggableUrl(request.url),
      status_code: statusCode,
      duration_ms: Math.round(durationMs * 1000) / 1000,
    };
    const traceId = traceIdOfRequest(request);
    if (traceId !== undefined) line.trace_id = traceId;
    const version = reply?.getHeader(MODEL_VERSION_HEADER);
    const model = (request.params as Record<string, string> | undefined)?.name;
    if (version !== undefined && model) {
      line.model = model;
      line.version = Number(version);
      line.outcome = outcomeOf(statusCode, reply!.getHeader(RETRY_AFTER_HEADER) !== undefined);
    }
    this.logger.info(line, 'request completed');
  }
}

interface HeaderReader {
  getHeader(name: string): unknown;
}

/**
 * The request's outcome as model_predictions_total counts it (ModelRunner):
 * a refusal to retry later (queue full, deadline passed, model loading) is the
 * one answer the error filter gives a Retry-After; any other 5xx is a fault.
 */
function outcomeOf(statusCode: number, retryLater: boolean): PredictionOutcome {
  if (statusCode < 400) return 'success';
  if (statusCode < 500) return 'invalid_input';
  return retryLater ? 'rejected' : 'error';
}
