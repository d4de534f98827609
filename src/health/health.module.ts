import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ModelRegistryModule } from '../model-registry/model-registry.module';
import { HealthController } from './health.controller';
import { ModelRegistryHealthIndicator } from './model-registry.health';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), ModelRegistryModule],
  controllers: [HealthController],
  providers: [ModelRegistryHealthIndicator],
})
export class HealthModule {}
