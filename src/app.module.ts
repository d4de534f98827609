import { type DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { ErrorFilter } from './common/error.filter';
import type { Logger as PinoLogger } from 'pino';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { HealthModule } from './health/health.module';
import { ObservabilityModule } from './observability/observability.module';
import { PredictModule } from './predict/predict.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: PinoLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        // Nest's own messages go through the same pino instance as Fastify's; requests are logged by our hook.
        LoggerModule.forRoot({ pinoHttp: { logger, autoLogging: false }, exclude: [{ path: '{*splat}', method: RequestMethod.ALL }] }),
        ObservabilityModule,
        HealthModule,
        PredictModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ErrorFilter }],
    };
  }
}
