import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { Logger } from 'pino';
import { ModelRegistryModule } from '../model-registry/model-registry.module';
import { SERVICE_VERSION } from '../config/service-identity';
import { PINO_LOGGER } from './logger';
import { MetricsController } from './metrics.controller';
import { HttpRequestRecords } from './http-request-records';
import { MetricsService } from './metrics.service';
import { LatencyLoggingInterceptor, MetricsInterceptor } from './request-interceptors';
import { Tracing } from './tracing';

@Module({
  imports: [ModelRegistryModule],
  controllers: [MetricsController],
  providers: [
    MetricsService,
    HttpRequestRecords,
    // The design's interceptors: every request a handler takes is logged and measured with its handler's context.
    { provide: APP_INTERCEPTOR, useClass: LatencyLoggingInterceptor },
    { provide: APP_INTERCEPTOR, useClass: MetricsInterceptor },
    // Decided by the process's OTEL_* variables, as the OpenTelemetry SDK reads them (see tracing.ts).
    { provide: Tracing, useFactory: (logger: Logger) => Tracing.fromEnvironment(process.env, logger, SERVICE_VERSION), inject: [PINO_LOGGER] },
  ],
  exports: [MetricsService, HttpRequestRecords, Tracing],
})
export class ObservabilityModule {}
