import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ServerProcess } from './server-process';

/** Makes this process's ServerProcess (standalone, or one HTTP process of several) injectable everywhere. */
@Global()
@Module({})
export class ServerProcessModule {
  static forRoot(serverProcess: ServerProcess): DynamicModule {
    return {
      module: ServerProcessModule,
      providers: [{ provide: ServerProcess, useValue: serverProcess }],
      exports: [ServerProcess],
    };
  }
}
