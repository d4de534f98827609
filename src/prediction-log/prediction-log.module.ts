import { Module } from '@nestjs/common';
import { HealthModule } from '../health/health.module';
import { ServingModule } from '../serving/serving.module';
import { PredictionLog } from './prediction-log.service';

/** The prediction log (PREDICTION_LOG): registers its observer with serving/ when on; its sink's state shown in /health/ready's details (ReadinessDetails). */
@Module({
  imports: [ServingModule, HealthModule],
  providers: [PredictionLog],
  exports: [PredictionLog],
})
export class PredictionLogModule {}
