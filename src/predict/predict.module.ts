import { Module } from '@nestjs/common';
import { ModelRegistryModule } from '../model-registry/model-registry.module';
import { ObservabilityModule } from '../observability/observability.module';
import { PredictController } from './predict.controller';
import { PredictService } from './predict.service';

@Module({
  imports: [ModelRegistryModule, ObservabilityModule],
  controllers: [PredictController],
  providers: [PredictService],
})
export class PredictModule {}
