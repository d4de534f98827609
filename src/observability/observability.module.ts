import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { ModelRegistryModule } from '../model-registry/model-registry.module';
import packageJson from '../../package.json';
import { PINO_LOGGER } from './logger';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { Tracing } from './tracing';

@Module({
  imports: [ModelRegistryModule],
  controllers: [MetricsController],
  providers: [
    MetricsService,
    // Decided by the process's OTEL_* variables, as the OpenTelemetry SDK reads them (see tracing.ts).
    { provide: Tracing, useFactory: (logger: Logger) => Tracing.fromEnvironment(process.env, logger, packageJson.version), inject: [PINO_LOGGER] },
  ],
  exports: [MetricsService, Tracing],
})
export class ObservabilityModule {}
