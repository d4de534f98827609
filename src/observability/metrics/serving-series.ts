import { Counter, type Registry } from 'prom-client';
import type { ModelRegistry } from '../../model-registry/model-registry.service';
import type { Outcome, Protocol } from '../../request-context/request-context';
import { BoundCounter } from './bound-metrics';
import { registerScrapedSeries } from './scraped-series';

/**
 * What serving a resolved model version leaves: the answers by outcome and
 * protocol, and the response caches' lookups, evictions and size. Model names
 * and versions come from the registry (resolved versions only): clients cannot
 * mint series.
 */
export class ServingSeries {
  // Counted on every request: bound counters (bound-metrics.ts).
  private readonly predictions: BoundCounter<'model' | 'version' | 'outcome' | 'protocol'>;
  private readonly cacheLookups: Record<'hit' | 'miss', BoundCounter<'model' | 'version'>>;
  private readonly deprecatedRequests: BoundCounter<'model' | 'version' | 'outcome'>;

  constructor(registry: Registry, modelRegistry: ModelRegistry) {
    this.predictions = new BoundCounter(
      'model_predictions_total',
      'Requests answered by a resolved model version, by outcome and protocol (http or grpc)',
      ['model', 'version', 'outcome', 'protocol'],
      registry,
    );
    this.cacheLookups = {
      hit: new BoundCounter(
        'model_cache_hits_total',
        'Requests answered from the model version response cache (models with "cache" in config.json)',
        ['model', 'version'],
        registry,
      ),
      miss: new BoundCounter(
        'model_cache_misses_total',
        'Requests the model version response cache could not answer (run, then cached)',
        ['model', 'version'],
        registry,
      ),
    };
    // Series only for versions a config deprecates, so a retirement is watched without a series per version.
    this.deprecatedRequests = new BoundCounter(
      'model_deprecated_requests_total',
      'Requests for a deprecated model version (config.json or admin "versions": deprecated or sunset): served, or refused after a sunset that says "refuse"',
      ['model', 'version', 'outcome'],
      registry,
    );
    registerCacheContents(registry, modelRegistry);
  }

  prediction(model: string, version: number, outcome: Outcome, protocol: Protocol): void {
    this.predictions.labels({ model, version: String(version), outcome, protocol }).inc();
  }

  deprecatedRequest(model: string, version: number, outcome: 'served' | 'refused'): void {
    this.deprecatedRequests.labels({ model, version: String(version), outcome }).inc();
  }

  cacheLookup(model: string, version: number, hit: boolean): void {
    this.cacheLookups[hit ? 'hit' : 'miss'].labels({ model, version: String(version) }).inc();
  }
}

/**
 * Evictions and size of the response caches, read from the loaded versions at
 * scrape time (the caches count their own evictions; a counter goes up by
 * what happened since the last scrape, and a reloaded version starts again).
 */
function registerCacheContents(registry: Registry, modelRegistry: ModelRegistry): void {
  const seen = new WeakMap<object, number>();
  const loadedCaches = function* () {
    for (const model of modelRegistry.list()) {
      for (const status of model.versions) {
        const cache = status.ready?.cache;
        if (cache) yield { labels: { model: model.name, version: String(status.version) }, cache };
      }
    }
  };
  // Not a scraped series: its values are added up over the caches' lives, never set anew.
  new Counter({
    name: 'model_cache_evictions_total',
    help: 'Answers dropped from a response cache to stay within its max_bytes (least recently used first)',
    labelNames: ['model', 'version'] as const,
    registers: [registry],
    collect() {
      for (const { labels, cache } of loadedCaches()) {
        const delta = cache.evictions - (seen.get(cache) ?? 0);
        seen.set(cache, cache.evictions);
        this.inc(labels, delta);
      }
    },
  });
  registerScrapedSeries(
    registry,
    {
      type: 'gauge',
      name: 'model_cache_bytes',
      help: 'Bytes held by a response cache (bounded by its max_bytes)',
      labelNames: ['model', 'version'],
    },
    (emit) => {
      for (const { labels, cache } of loadedCaches()) emit(labels, cache.bytes);
    },
  );
}
