import { Module } from '@nestjs/common';
import { ServingModule } from '../serving/serving.module';
import { DriftController } from './drift.controller';
import { DriftMonitor } from './drift-monitor';

/** Data drift: live windows of every version with a drift reference, its metrics and GET /v1/models/{name}/drift. */
@Module({
  imports: [ServingModule],
  controllers: [DriftController],
  providers: [DriftMonitor],
  exports: [DriftMonitor],
})
export class DriftModule {}
