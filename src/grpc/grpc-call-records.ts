import { status as Status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { GrpcSeries } from '../observability/metrics/grpc-series';
import { addServingFields, roundMicros } from '../observability/request-log-fields';
import type { RequestContext } from '../request-context/request-context';

const CODE_NAMES = Object.fromEntries(Object.entries(Status).filter(([, code]) => typeof code === 'number').map(([name, code]) => [code, name])) as Record<number, string>;

/**
 * The two records every gRPC call leaves, as HTTP requests do, read from its
 * request context: one JSON log line (with model, version, outcome and
 * timings when a model answered) and the standard gRPC server metrics
 * (observability/metrics/grpc-series.ts).
 */
export class GrpcCallRecords {
  private readonly series: GrpcSeries;

  constructor(
    registry: Registry,
    private readonly logger: Logger,
    private readonly service: string,
  ) {
    this.series = new GrpcSeries(registry);
  }

  record(code: Status, durationMs: number, context: RequestContext, peer: string): void {
    const method = context.method;
    this.series.handled.labels({ grpc_type: 'unary', grpc_service: this.service, grpc_method: method, grpc_code: CODE_NAMES[code] ?? String(code) }).inc();
    this.series.handling.labels({ grpc_type: 'unary', grpc_service: this.service, grpc_method: method }).observe(durationMs / 1000);
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
    if (context.caller !== undefined) line.caller = context.caller.id;
    addServingFields(line, context);
    this.logger.info(line, 'grpc call completed');
  }

  /** A server fault (answered INTERNAL, with no detail for the client): its stack goes to the log. */
  fault(method: string, error: unknown): void {
    this.logger.error({ err: error, method, protocol: 'grpc' }, `grpc ${method} failed`);
  }
}
