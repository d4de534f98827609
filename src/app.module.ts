import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import type { ServerProcess } from './cluster/server-process';
import { ServerProcessModule } from './cluster/server-process.module';
import { ErrorFilter } from './common/http/error.filter';
import type { Logger as PinoLogger } from 'pino';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { GrpcModule } from './grpc/grpc.module';
import { HealthModule } from './health/health.module';
import { InferenceProtocolModule } from './inference-protocol/inference-protocol.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { MetricsRegistryModule } from './observability/metrics-registry';
import { PinoLoggerModule } from './observability/pino-logger.module';
import { ObservabilityModule } from './observability/observability.module';
import { DriftModule } from './drift/drift.module';
import { PredictModule } from './predict/predict.module';
import { PredictionLogModule } from './prediction-log/prediction-log.module';
import { ShadowModule } from './shadow/shadow.module';
import { UiModule } from './ui/ui.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: PinoLogger, serverProcess: ServerProcess): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ServerProcessModule.forRoot(serverProcess),
        LifecycleModule,
        // The process's pino logger, for the parts that write their own lines (the gRPC call log).
        PinoLoggerModule.forRoot(logger),
        MetricsRegistryModule,
        // Nest's own messages go through the same pino instance as Fastify's; requests are logged by our hook,
        // so no route gets nestjs-pino's middleware (it cost every request a middleware pass, ~3% of its time).
        LoggerModule.forRoot({ pinoHttp: { logger, autoLogging: false }, forRoutes: [] }),
        ObservabilityModule,
        HealthModule,
        // Who may call which model (PREDICT_AUTH): REST's guard and the gRPC handlers share its authenticator.
        AuthModule.forRoot(config.PREDICT_AUTH !== 'off'),
        PredictModule,
        // Live input and prediction distributions against each version's training data (GET /v1/models/{name}/drift).
        DriftModule,
        // A model's shadow version run on sampled answered requests and compared (GET /v1/models/{name}/shadow).
        ShadowModule,
        InferenceProtocolModule,
        GrpcModule,
        AdminModule,
        // Every answered prediction, sampled, to a file, PostgreSQL or CloudEvents receiver (PREDICTION_LOG).
        PredictionLogModule,
        // The playground page at /ui (UI_ENABLED).
        UiModule.forRoot(config.UI_ENABLED),
      ],
      providers: [
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
