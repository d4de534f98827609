import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ObservabilityModule } from '../observability/observability.module';
import { Authenticator } from './authenticator';
import { CallerGuard, ModelsInViewInterceptor } from './caller-auth';

/**
 * PREDICT_AUTH for every model API: the authenticator REST's guard and the gRPC handlers share.
 * The guard and the interceptor are global, for the routes marked with CallerAuth(), and installed
 * only when PREDICT_AUTH is on: off, the request path is what it was without them.
 */
@Global()
@Module({})
export class AuthModule {
  static forRoot(enabled: boolean): DynamicModule {
    return {
      module: AuthModule,
      imports: [ObservabilityModule],
      providers: [
        Authenticator,
        ...(enabled
          ? [
              { provide: APP_GUARD, useClass: CallerGuard },
              { provide: APP_INTERCEPTOR, useClass: ModelsInViewInterceptor },
            ]
          : []),
      ],
      exports: [Authenticator],
    };
  }
}
