import { Module } from '@nestjs/common';
import { ServingModule } from '../serving/serving.module';
import { PredictionLog } from './prediction-log.service';

/** The prediction log (PREDICTION_LOG): registers its observer with serving/ when on; health/ shows its state. */
@Module({
  imports: [ServingModule],
  providers: [PredictionLog],
  exports: [PredictionLog],
})
export class PredictionLogModule {}
