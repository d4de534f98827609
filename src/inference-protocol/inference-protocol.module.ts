import { Module } from '@nestjs/common';
import { HealthModule } from '../health/health.module';
import { ServingModule } from '../serving/serving.module';
import { HttpWireFormat } from './http-wire-format';
import { InferenceProtocolController } from './inference-protocol.controller';
import { InferencePipeline } from './inference-pipeline';

/** /v2: the Open Inference Protocol over the same registry and instrumented runner as /v1; its pipeline serves gRPC too. */
@Module({
  imports: [ServingModule, HealthModule],
  controllers: [InferenceProtocolController],
  providers: [InferencePipeline, HttpWireFormat],
  exports: [InferencePipeline],
})
export class InferenceProtocolModule {}
