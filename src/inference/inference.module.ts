import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { INFERENCE_ENGINE } from './inference-engine';
import { OnnxRuntimeEngine } from './onnx-runtime.adapter';

@Module({
  providers: [
    {
      provide: INFERENCE_ENGINE,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        new OnnxRuntimeEngine({ intraOpThreads: config.INTRA_OP_THREADS, interOpThreads: config.INTER_OP_THREADS }),
    },
  ],
  exports: [INFERENCE_ENGINE],
})
export class InferenceModule {}
