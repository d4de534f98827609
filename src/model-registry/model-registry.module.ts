import { Logger, Module } from '@nestjs/common';
import { AppConfig, CONFIG_DEFAULTS } from '../config/app-config';
import { modelRepositoryOf } from '../config/model-repository-location';
import { BATCH_OBSERVERS, type BatchObservers } from '../inference/engine-contracts';
import { InferenceModule } from '../inference/inference.module';
import { ModelRegistry, MODEL_STORE, REGISTRY_OPTIONS, type RegistryOptions } from './model-registry.service';
import type { ModelSource } from './model-source';
import { ModelStore } from './model-store';
import { MODEL_LOAD_OBSERVER, type ModelLoadObserver } from './model-loads';
import { openS3ModelStore } from './s3-model-store';

@Module({
  imports: [InferenceModule],
  providers: [
    ModelRegistry,
    {
      provide: MODEL_STORE,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => openModelSource(config),
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
          driftSeries: config.DRIFT_ENABLED,
        },
        loadObserver,
      }),
    },
  ],
  exports: [ModelRegistry],
})
export class ModelRegistryModule {}

/**
 * The repository MODEL_REPOSITORY (else MODELS_DIR) names: a local directory, or a bucket (the AWS SDK
 * is loaded only then, see s3Sdk).
 */
async function openModelSource(config: AppConfig): Promise<ModelSource> {
  if (config.MODEL_REPOSITORY && config.MODELS_DIR !== config.MODEL_REPOSITORY && config.MODELS_DIR !== CONFIG_DEFAULTS.MODELS_DIR) {
    new Logger('ModelRegistry').log(`MODELS_DIR (${config.MODELS_DIR}) is not read: MODEL_REPOSITORY (${config.MODEL_REPOSITORY}) is set and wins`);
  }
  const location = modelRepositoryOf(config);
  const configDir = config.MODEL_CONFIG_DIR || undefined;
  if (location.kind === 'local') return new ModelStore(location.path, configDir);
  return openS3ModelStore(location, { cacheDir: config.MODEL_CACHE_DIR, downloadTimeoutMs: config.MODEL_DOWNLOAD_TIMEOUT_MS, configDir });
}
