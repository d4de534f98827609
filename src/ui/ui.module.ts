import { type DynamicModule, Inject, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { UiAssets } from './ui-assets';
import { installUiRoutes } from './playground-routes';

/**
 * The playground at /ui: a static page, bundled at build time from ui/src
 * (scripts/build-ui.mjs), that talks to the public API like any client
 * (/v1/models, predict, /v2 infer, /metrics). With UI_ENABLED=false nothing is
 * registered, so /ui is a 404 like any unknown URL.
 */
@Module({})
export class UiModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(UiAssets) private readonly assets: UiAssets | null,
  ) {}

  static forRoot(enabled: boolean): DynamicModule {
    return {
      module: UiModule,
      providers: [{ provide: UiAssets, useFactory: () => (enabled ? UiAssets.load() : null) }],
    };
  }

  onModuleInit(): void {
    if (!this.assets) return;
    if (this.assets.missingReason) new Logger(UiModule.name).warn(this.assets.missingReason);
    installUiRoutes(this.adapterHost.httpAdapter.getInstance<FastifyInstance>(), this.assets);
  }
}
