import { Module } from '@nestjs/common';
import { ServingModule } from '../serving/serving.module';
import { PredictController } from './predict.controller';
import { PredictService } from './predict.service';

@Module({
  imports: [ServingModule],
  controllers: [PredictController],
  providers: [PredictService],
})
export class PredictModule {}
