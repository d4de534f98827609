import { Module } from '@nestjs/common';
import { ServingModule } from '../serving/serving.module';
import { ShadowController } from './shadow.controller';
import { ShadowMonitor } from './shadow-monitor';

/** Shadow versions: sampled answered requests run again on a model's shadow version and compared; GET /v1/models/{name}/shadow. */
@Module({
  imports: [ServingModule],
  controllers: [ShadowController],
  providers: [ShadowMonitor],
  exports: [ShadowMonitor],
})
export class ShadowModule {}
