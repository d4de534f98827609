import { status as Status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { BoundCounter, BoundHistogram } from '../observability/bound-metrics';
import { addServingFields, roundMicros } from '../observability/request-log-fields';
import type { RequestContext } from '../request-context/request-context';

const CODE_NAMES = Object.fromEntries(Object.entries(Status).filter(([, code]) => typeof code === 'number').map(([name, code]) => [code, name])) as Record<number, string>;

/**
 * The two records every gRPC call leaves, as HTTP requests do, read from its
 * request context: one JSON log line (with model, version, outcome and
 * timings when a model answered) and the
 * standard gRPC server metrics (the names go-grpc-prometheus made common),
 * labelled by method and status code: bounded, since only the service's own
 * methods are recorded.
 */
export class GrpcCallRecords {
  private readonly handled: BoundCounter<'grpc_type' | 'grpc_service' | 'grpc_method' | 'grpc_code'>;
  private readonly handling: BoundHistogram<'grpc_type' | 'grpc_service' | 'grpc_method'>;

  constructor(
    registry: Registry,
    private readonly logger: Logger,
    private readonly service: string,
  ) {
    this.handled = new BoundCounter(
      'grpc_server_handled_total',
      'gRPC calls completed on the server, by service, method and status code',
      ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code'],
      registry,
    );
    this.handling = new BoundHistogram(
      'grpc_server_handling_seconds',
      'gRPC call duration in seconds on the server, by service and method',
      ['grpc_type', 'grpc_service', 'grpc_method'],
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registry,
    );
  }

  record(code: Status, durationMs: number, context: RequestContext, peer: string): void {
    const method = context.method;
    this.handled.labels({ grpc_type: 'unary', grpc_service: this.service, grpc_method: method, grpc_code: CODE_NAMES[code] ?? String(code) }).inc();
    this.handling.labels({ grpc_type: 'unary', grpc_service: this.service, grpc_method: method }).observe(durationMs / 1000);
    if (!this.logger.isLevelEnabled('info')) return;
    const line: Record<string, unknown> = {
      request_id: context.requestId,
      protocol: 'grpc',
      method: context.method,
      peer,
      grpc_code: CODE_NAMES[code] ?? code,
      duration_ms: roundMicros(durationMs),
    };
    if (context.traceId !== undefined) line.trace_id = context.traceId;
    addServingFields(line, context);
    this.logger.info(line, 'grpc call completed');
  }

  /** A server fault (answered INTERNAL, with no detail for the client): its stack goes to the log. */
  fault(method: string, error: unknown): void {
    this.logger.error({ err: error, method, protocol: 'grpc' }, `grpc ${method} failed`);
  }
}
