import { Global, Module } from '@nestjs/common';
import { ObservabilityModule } from '../observability/observability.module';
import { Authenticator } from './authenticator';
import { CallerGuard, ModelsInViewInterceptor } from './caller-auth';

/** PREDICT_AUTH for every model API: the authenticator REST's guard and the gRPC handlers share. */
@Global()
@Module({
  imports: [ObservabilityModule],
  providers: [Authenticator, CallerGuard, ModelsInViewInterceptor],
  exports: [Authenticator, CallerGuard, ModelsInViewInterceptor],
})
export class AuthModule {}
