import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ModelRegistry } from '../model-registry/model-registry.service';
import { Probes } from './probes';

/** Readiness (Probes.notReadyBecause) as a terminus check, with every model's state in its details. */
@Injectable()
export class ModelRegistryHealthIndicator {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly health: HealthIndicatorService,
    private readonly probes: Probes,
  ) {}

  async check(key = 'model_registry') {
    const indicator = this.health.check(key);
    const models = Object.fromEntries(
      this.registry.list().map((model) => {
        const defaultVersion = this.registry.defaultVersion(model);
        const status = model.versions.find((v) => v.version === defaultVersion);
        return [
          model.name,
          {
            default_version: defaultVersion ?? null,
            required: this.registry.isRequired(model.name),
            state: status?.state ?? (defaultVersion === undefined ? 'NO_READY_VERSION' : 'MISSING'),
            ...(status?.reason ? { reason: status.reason } : {}),
            versions: Object.fromEntries(model.versions.map((v) => [v.version, v.state])),
          },
        ];
      }),
    );
    const notReady = await this.probes.notReadyBecause();
    return notReady ? indicator.down({ message: notReady, models }) : indicator.up({ models });
  }
}
