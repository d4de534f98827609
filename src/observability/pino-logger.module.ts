import { type DynamicModule, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { PINO_LOGGER } from './logger';

/** The process's pino logger under PINO_LOGGER, for every module (the gRPC call log, the shutdown handler). */
@Module({})
export class PinoLoggerModule {
  static forRoot(logger: Logger): DynamicModule {
    return { module: PinoLoggerModule, global: true, providers: [{ provide: PINO_LOGGER, useValue: logger }], exports: [PINO_LOGGER] };
  }
}
