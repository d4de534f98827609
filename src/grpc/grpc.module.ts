import { Module } from '@nestjs/common';
import { HealthModule } from '../health/health.module';
import { InferenceProtocolModule } from '../inference-protocol/inference-protocol.module';
import { ObservabilityModule } from '../observability/observability.module';
import { ServingModule } from '../serving/serving.module';
import { GrpcInferenceHandlers } from './grpc-inference.handlers';
import { GrpcServer } from './grpc-server';

/** The Open Inference Protocol's gRPC half, on GRPC_PORT, over the same services as /v2 REST. */
@Module({
  imports: [ServingModule, ObservabilityModule, HealthModule, InferenceProtocolModule],
  providers: [GrpcInferenceHandlers, GrpcServer],
  exports: [GrpcServer],
})
export class GrpcModule {}
