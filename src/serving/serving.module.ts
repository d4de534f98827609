import { Module } from '@nestjs/common';
import { ModelRegistryModule } from '../model-registry/model-registry.module';
import { ObservabilityModule } from '../observability/observability.module';
import { ModelRunner } from './model-runner';
import { PredictionObservers } from './prediction-observers';

/** What every API needs to serve a request: the registry to resolve versions and the instrumented runner. */
@Module({
  imports: [ModelRegistryModule, ObservabilityModule],
  providers: [ModelRunner, PredictionObservers],
  exports: [ModelRunner, PredictionObservers, ModelRegistryModule],
})
export class ServingModule {}
