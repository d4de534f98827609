import type { Registry } from 'prom-client';
import { BoundCounter, BoundHistogram } from './bound-metrics';
import { REQUEST_SECONDS_BUCKETS } from './http-series';

/**
 * The standard gRPC server metrics (the names go-grpc-prometheus made
 * common), labelled by method and status code: bounded, since only the
 * service's own methods are recorded (grpc/grpc-call-records.ts).
 */
export class GrpcSeries {
  readonly handled: BoundCounter<'grpc_type' | 'grpc_service' | 'grpc_method' | 'grpc_code'>;
  readonly handling: BoundHistogram<'grpc_type' | 'grpc_service' | 'grpc_method'>;

  constructor(registry: Registry) {
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
      REQUEST_SECONDS_BUCKETS,
      registry,
    );
  }
}
