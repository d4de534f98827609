import { Module } from '@nestjs/common';
import { HealthModule } from '../health/health.module';
import { ServingModule } from '../serving/serving.module';
import { InferenceProtocolController } from './inference-protocol.controller';
import { InferenceProtocolService } from './inference-protocol.service';

/** /v2: the Open Inference Protocol over the same registry and instrumented runner as /v1. */
@Module({
  imports: [ServingModule, HealthModule],
  controllers: [InferenceProtocolController],
  providers: [InferenceProtocolService],
  exports: [InferenceProtocolService],
})
export class InferenceProtocolModule {}
