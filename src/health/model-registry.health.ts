import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ShutdownState } from '../lifecycle/shutdown-state';
import { ModelRegistry } from '../model-registry/model-registry.service';

/**
 * Ready means every model's default version is loaded and warmed: a replica
 * that would answer 404 for a model's default must not receive traffic yet.
 */
@Injectable()
export class ModelRegistryHealthIndicator {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly health: HealthIndicatorService,
    private readonly shutdown: ShutdownState,
  ) {}

  check(key = 'model_registry') {
    const indicator = this.health.check(key);
    if (this.shutdown.draining) return indicator.down({ message: 'shutting down: finishing requests in flight' });
    const models = Object.fromEntries(
      this.registry.list().map((model) => {
        const defaultVersion = this.registry.defaultVersion(model);
        const status = model.versions.find((v) => v.version === defaultVersion);
        return [
          model.name,
          {
            default_version: defaultVersion ?? null,
            state: status?.state ?? (defaultVersion === undefined ? 'NO_READY_VERSION' : 'MISSING'),
            ...(status?.reason ? { reason: status.reason } : {}),
            versions: Object.fromEntries(model.versions.map((v) => [v.version, v.state])),
          },
        ];
      }),
    );
    return this.registry.isReady() ? indicator.up({ models }) : indicator.down({ models });
  }
}
