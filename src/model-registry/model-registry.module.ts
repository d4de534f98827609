import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { BATCH_OBSERVERS, type BatchObservers } from '../inference/engine-contracts';
import { InferenceModule } from '../inference/inference.module';
import { ModelRegistry, MODEL_STORE, REGISTRY_OPTIONS, type RegistryOptions } from './model-registry.service';
import { ModelStore } from './model-store';
import { MODEL_LOAD_OBSERVER, type ModelLoadObserver } from './model-loads';

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
      inject: [AppConfig, BATCH_OBSERVERS, MODEL_LOAD_OBSERVER],
      useFactory: (config: AppConfig, observers: BatchObservers, loadObserver: ModelLoadObserver): RegistryOptions => ({
        pollIntervalMs: config.MODEL_POLL_INTERVAL_MS,
        requiredModels: config.REQUIRED_MODELS.split(',').map((name) => name.trim()).filter(Boolean),
        settleMs: config.MODEL_SETTLE_MS,
        batching: {
          enabled: config.BATCHING_ENABLED,
          maxBatchSize: config.MAX_BATCH_SIZE,
          maxQueueDelayUs: config.MAX_QUEUE_DELAY_US,
          maxQueueSize: config.MAX_QUEUE_SIZE,
        },
        observe: (name, version) => observers.observerFor(name, version),
        forget: (name, version) => observers.forget(name, version),
        loading: {
          mode: config.MODEL_LOADING,
          waitMs: config.MODEL_LOAD_WAIT_MS,
          // Each HTTP process loads and holds its own sessions: each keeps an even share of the pod's budget.
          budgetBytes: Math.floor(config.MODEL_MEMORY_BUDGET_BYTES / config.HTTP_PROCESSES),
        },
        loadObserver,
      }),
    },
  ],
  exports: [ModelRegistry],
})
export class ModelRegistryModule {}
