import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { INFERENCE_ENGINE, type InferenceEngine } from './engine-contracts';
import { HybridEngine } from './hybrid-engine';
import { WorkerPoolEngine } from './worker-pool';
import { OnnxRuntimeEngine } from './onnx-runtime.adapter';

@Module({
  providers: [
    {
      provide: INFERENCE_ENGINE,
      inject: [AppConfig],
      useFactory: (config: AppConfig): InferenceEngine => {
        const settings = { intraOpThreads: config.INTRA_OP_THREADS, interOpThreads: config.INTER_OP_THREADS };
        const eventLoop = new OnnxRuntimeEngine(settings);
        if (config.INFERENCE_WORKERS === 0) return eventLoop;
        return new HybridEngine(new WorkerPoolEngine(settings, config.INFERENCE_WORKERS), eventLoop, config.INLINE_INFERENCE_MAX_US);
      },
    },
  ],
  exports: [INFERENCE_ENGINE],
})
export class InferenceModule implements OnApplicationShutdown {
  constructor(@Inject(INFERENCE_ENGINE) private readonly engine: InferenceEngine) {}

  /** Runs after the registry released its sessions: the worker threads can go. */
  async onApplicationShutdown(): Promise<void> {
    await this.engine.close?.();
  }
}
