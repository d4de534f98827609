import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { InferenceModule } from '../inference/inference.module';
import { ModelRegistry, MODEL_STORE } from './model-registry.service';
import { ModelStore } from './model-store';

@Module({
  imports: [InferenceModule],
  providers: [
    ModelRegistry,
    { provide: MODEL_STORE, inject: [AppConfig], useFactory: (config: AppConfig) => new ModelStore(config.MODELS_DIR) },
  ],
  exports: [ModelRegistry],
})
export class ModelRegistryModule {}
