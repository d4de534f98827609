import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ModelRegistryModule } from '../model-registry/model-registry.module';
import { HealthController } from './health.controller';
import { InferenceModule } from '../inference/inference.module';
import { InferenceHealthIndicator } from './inference.health';
import { ModelRegistryHealthIndicator } from './model-registry.health';
import { ModelRepositoryDetails } from './model-repository.details';
import { Probes } from './probes';
import { ReadinessDetails } from './readiness-details';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), ModelRegistryModule, InferenceModule],
  controllers: [HealthController],
  providers: [ModelRegistryHealthIndicator, InferenceHealthIndicator, ReadinessDetails, Probes, ModelRepositoryDetails],
  exports: [Probes, ReadinessDetails],
})
export class HealthModule {}
