import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { InferenceModule } from '../inference/inference.module';
import { ModelRegistry, MODEL_STORE, REGISTRY_OPTIONS, type RegistryOptions } from './model-registry.service';
import { ModelStore } from './model-store';

@Module({
  imports: [InferenceModule],
  providers: [
    ModelRegistry,
    {
      provide: MODEL_STORE,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new ModelStore(config.MODELS_DIR, config.MODEL_CONFIG_DIR || undefined),
    },
    {
      provide: REGISTRY_OPTIONS,
      inject: [AppConfig],
      useFactory: (config: AppConfig): RegistryOptions => ({
        pollIntervalMs: config.MODEL_POLL_INTERVAL_MS,
        settleMs: config.MODEL_SETTLE_MS,
      }),
    },
  ],
  exports: [ModelRegistry],
})
export class ModelRegistryModule {}
