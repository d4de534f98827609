import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ModelRegistry } from '../model-registry/model-registry.service';
import type { ModelStatus } from '../model-registry/model-version';
import { mapConfigError } from '../model-summary/model-summary.mapper';
import { Probes } from './probes';

/**
 * Readiness (Probes.notReadyBecause) as a terminus check. Up: every model's
 * state in its details. Down: the reason, and only the models that cause it,
 * each with why (listing the healthy ones under a failure would point the
 * operator at them).
 */
@Injectable()
export class ModelRegistryHealthIndicator {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly health: HealthIndicatorService,
    private readonly probes: Probes,
  ) {}

  async check(key = 'model_registry') {
    const indicator = this.health.check(key);
    const notReady = await this.probes.notReadyBecause();
    if (!notReady) {
      return indicator.up({ models: Object.fromEntries(this.registry.list().map((model) => [model.name, this.describe(model)])) });
    }
    // Empty when the cause is not a model here: shutting down, or another HTTP process (named in the message).
    const causes = Object.entries(this.registry.notReadyBecause()?.models ?? {}).map(([name, why]) => {
      const model = this.registry.list().find((m) => m.name === name);
      return [name, { ...(model ? this.describe(model) : { required: true, state: 'MISSING' }), reason: why }];
    });
    return indicator.down({ message: notReady, models: Object.fromEntries(causes) });
  }

  private describe(model: ModelStatus) {
    const defaultVersion = this.registry.defaultVersion(model);
    const status = model.versions.find((v) => v.version === defaultVersion);
    return {
      default_version: defaultVersion ?? null,
      required: this.registry.isRequired(model.name),
      state: status?.state ?? (defaultVersion === undefined ? 'NO_READY_VERSION' : 'MISSING'),
      ...(status?.reason ? { reason: status.reason } : {}),
      versions: Object.fromEntries(model.versions.map((v) => [v.version, v.state])),
      ...(model.configError ? { config_error: mapConfigError(model) } : {}),
    };
  }
}
