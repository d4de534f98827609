import type { Registry } from 'prom-client';
import type { ModelRegistry } from '../../model-registry/model-registry.service';
import { registerScrapedSeries } from './scraped-series';

/**
 * Whether the model repository (a directory or a bucket) could be read, read when Prometheus scrapes:
 * an outage changes nothing that serves, so these are where it shows.
 */
export function registerModelRepositorySeries(registry: Registry, modelRegistry: ModelRegistry): void {
  registerScrapedSeries(
    registry,
    {
      type: 'gauge',
      name: 'model_repository_readable',
      help: '1 when the last read of the model repository (at start or a poll) succeeded, else 0; what is loaded keeps serving either way',
      labelNames: [],
      // Across HTTP processes (each reads the repository): 0 where any process cannot read it.
      aggregator: 'min',
    },
    (emit) => emit({}, modelRegistry.reachability.state().readable ? 1 : 0),
  );
  registerScrapedSeries(
    registry,
    {
      type: 'gauge',
      name: 'model_repository_last_success_timestamp_seconds',
      help: 'When the model repository was last read successfully, in Unix seconds; 0 before the first success',
      labelNames: [],
      // Across HTTP processes: the oldest, the one that has gone longest without a read.
      aggregator: 'min',
    },
    (emit) => emit({}, (modelRegistry.reachability.state().lastSuccess?.getTime() ?? 0) / 1000),
  );
}
