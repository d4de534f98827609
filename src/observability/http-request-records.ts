import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { RequestContext } from '../request-context/request-context';
import { loggableUrl } from '../common/http/loggable-url';
import { addServingFields, roundMicros } from './request-log-fields';
import { PINO_LOGGER } from './logger';
import { MetricsService } from './metrics.service';

/** Label for requests that matched no route, so probes of random URLs share one series. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The two records every HTTP request leaves, read from its context: one
 * observation of http_request_duration_seconds and one JSON log line, with
 * the handler, model, version and outcome when they are known. Written by the
 * interceptors for requests a handler took, and by the request hooks for the
 * others (http-request-hooks.ts), so both kinds look the same.
 */
@Injectable()
export class HttpRequestRecords {
  private readonly logging: boolean;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(PINO_LOGGER) private readonly logger: Logger,
  ) {
    // The level is fixed for the process's life: asked once, not per request.
    this.logging = logger.isLevelEnabled('info');
  }

  observe(context: RequestContext, statusCode: number, durationMs: number): void {
    this.metrics.http.requestDuration.labels({ method: context.method, route: context.route, status_code: String(statusCode) }).observe(durationMs / 1000);
  }

  log(context: RequestContext, statusCode: number, durationMs: number): void {
    if (!this.logging) return;
    const line: Record<string, unknown> = {
      request_id: context.requestId,
      method: context.method,
      route: context.route,
      url: loggableUrl(context.url),
      status_code: statusCode,
      duration_ms: roundMicros(durationMs),
    };
    if (context.traceId !== undefined) line.trace_id = context.traceId;
    if (context.handler !== undefined) line.handler = context.handler;
    if (context.caller !== undefined) line.caller = context.caller.id;
    addServingFields(line, context);
    this.logger.info(line, 'request completed');
  }
}
