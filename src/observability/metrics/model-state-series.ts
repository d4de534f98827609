import type { Registry } from 'prom-client';
import type { ModelRegistry } from '../../model-registry/model-registry.service';
import { registerScrapedSeries } from './scraped-series';

/** The state of the model repository as the registry holds it, read when Prometheus scrapes. */
export function registerModelStateSeries(registry: Registry, modelRegistry: ModelRegistry): void {
  registerScrapedSeries(
    registry,
    {
      type: 'gauge',
      name: 'model_config_errors',
      help: "1 while the model's config.json on disk is refused (the last good config, if any, stays in force), else 0",
      labelNames: ['model'],
      // Across HTTP processes: refused where any process refused it (they read the same file).
      aggregator: 'max',
    },
    // The series are the models in the repository: a removed model's goes with it.
    (emit) => {
      for (const model of modelRegistry.list()) emit({ model: model.name }, model.configError ? 1 : 0);
    },
  );
  registerScrapedSeries(
    registry,
    {
      type: 'gauge',
      name: 'model_version_ready',
      help: '1 when the model version is READY to serve, else 0',
      labelNames: ['model', 'version'],
      // Across HTTP processes: ready only where every process can serve it.
      aggregator: 'min',
    },
    (emit) => {
      for (const model of modelRegistry.list()) {
        for (const status of model.versions) emit({ model: model.name, version: String(status.version) }, status.state === 'READY' ? 1 : 0);
      }
    },
  );
  registerScrapedSeries(
    registry,
    {
      type: 'gauge',
      name: 'model_version_sunset_timestamp_seconds',
      help: 'The sunset of a deprecated model version (config.json or admin "versions"), as a Unix time; only versions with a sunset have a series',
      labelNames: ['model', 'version'],
      // Across HTTP processes: they apply the same config; the earliest is the one to plan for.
      aggregator: 'min',
    },
    (emit) => {
      for (const model of modelRegistry.list()) {
        for (const status of model.versions) {
          const sunsetAt = model.deprecations?.get(status.version)?.sunsetAt;
          if (sunsetAt !== undefined) emit({ model: model.name, version: String(status.version) }, Math.floor(sunsetAt / 1000));
        }
      }
    },
  );
}
