import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ModelRegistryModule } from '../model-registry/model-registry.module';
import { HealthController } from './health.controller';
import { InferenceModule } from '../inference/inference.module';
import { InferenceHealthIndicator } from './inference.health';
import { ModelRegistryHealthIndicator } from './model-registry.health';
import { PredictionLogModule } from '../prediction-log/prediction-log.module';
import { PredictionLogHealthIndicator } from './prediction-log.health';
import { Probes } from './probes';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), ModelRegistryModule, InferenceModule, PredictionLogModule],
  controllers: [HealthController],
  providers: [ModelRegistryHealthIndicator, InferenceHealthIndicator, PredictionLogHealthIndicator, Probes],
  exports: [Probes],
})
export class HealthModule {}
