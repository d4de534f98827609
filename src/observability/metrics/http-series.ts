import { Counter, type Registry } from 'prom-client';
import { BoundHistogram } from './bound-metrics';

/** Seconds of one whole request or call: HTTP's, and gRPC's on the same scale so that the two compare. */
export const REQUEST_SECONDS_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The series of HTTP itself. Labels are bounded on purpose: route templates
 * (never raw URLs) and status codes, so clients cannot mint new series.
 */
export class HttpSeries {
  /** Observed once per request (http-request-records.ts): a bound histogram. */
  readonly requestDuration: BoundHistogram<'method' | 'route' | 'status_code'>;
  /** Connections closed by the server for not reading their answers (common/http/connection-backpressure.ts). */
  readonly connectionsClosed: Counter<'reason'>;

  constructor(registry: Registry) {
    this.requestDuration = new BoundHistogram(
      'http_request_duration_seconds',
      'HTTP request duration in seconds, by method, route template and status code',
      ['method', 'route', 'status_code'],
      REQUEST_SECONDS_BUCKETS,
      registry,
    );
    this.connectionsClosed = new Counter({
      name: 'http_connections_closed_total',
      help:
        'HTTP connections the server closed: too_many_pipelined_requests (more than MAX_PIPELINED_REQUESTS sent ' +
        'without their answers going out) or stalled_send (answers unsent for SEND_TIMEOUT_MS while requests waited)',
      labelNames: ['reason'] as const,
      registers: [registry],
    });
  }
}
