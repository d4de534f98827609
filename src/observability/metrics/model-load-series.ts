import { Counter, Histogram, type Registry } from 'prom-client';
import type { ModelRegistry } from '../../model-registry/model-registry.service';
import type { LoadOutcome, LoadTrigger, ModelLoadObserver } from '../../model-registry/model-loads';
import { registerScrapedSeries } from './scraped-series';

const TRIGGERS: readonly LoadTrigger[] = ['start', 'request', 'reload', 'admin'];
const OUTCOMES: readonly LoadOutcome[] = ['ready', 'failed'];

/**
 * Loads and unloads of model versions, pod-wide totals without a model label:
 * a pod may list thousands of models (MODEL_LOADING=lazy), and each loaded
 * version already has its own series elsewhere (model_version_ready, batching).
 * The model registry reports through the MODEL_LOAD_OBSERVER token it declares
 * (metrics-registry.ts provides this class for it).
 */
export class ModelLoadSeries implements ModelLoadObserver {
  private readonly loads: Counter<'trigger' | 'outcome'>;
  private readonly duration: Histogram<'trigger' | 'outcome'>;
  private readonly evictions: Counter;

  constructor(registry: Registry) {
    this.loads = new Counter({
      name: 'model_loads_total',
      help: 'Model version loads by what started them (start, request, reload, admin) and outcome (ready, failed)',
      labelNames: ['trigger', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'model_load_duration_seconds',
      help: 'Time to read, compile, check and warm up one model version, by trigger and outcome',
      labelNames: ['trigger', 'outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    this.evictions = new Counter({
      name: 'model_evictions_total',
      help: 'Loaded versions unloaded back to AVAILABLE to stay within MODEL_MEMORY_BUDGET_BYTES (least recently used first)',
      registers: [registry],
    });
    // Every series from the start: a rate() over one that appears only at its first event misses that event.
    for (const trigger of TRIGGERS) for (const outcome of OUTCOMES) this.loads.inc({ trigger, outcome }, 0);
    this.evictions.inc(0);
  }

  onLoad(trigger: LoadTrigger, outcome: LoadOutcome, seconds: number): void {
    this.loads.inc({ trigger, outcome });
    this.duration.observe({ trigger, outcome }, seconds);
  }

  onEviction(): void {
    this.evictions.inc();
  }
}

/**
 * What this process holds loaded against its memory budget, read when Prometheus scrapes. Summed across
 * HTTP processes (each holds its own sessions and an even share of the budget), so the pod's totals.
 */
export function registerModelMemorySeries(registry: Registry, modelRegistry: ModelRegistry): void {
  const gauges = [
    ['model_versions_loaded', 'Model versions loaded (READY), holding sessions', 'loadedVersions'],
    ['model_loaded_estimated_bytes', 'Estimated memory of the loaded model versions and of the runtime running them (docs/model-repository.md#the-memory-estimate)', 'estimatedBytes'],
    ['model_memory_budget_bytes', 'MODEL_MEMORY_BUDGET_BYTES (0: no budget)', 'budgetBytes'],
  ] as const;
  for (const [name, help, field] of gauges) {
    registerScrapedSeries(registry, { type: 'gauge', name, help, labelNames: [] }, (emit) => emit({}, modelRegistry.memoryUse()[field]));
  }
  registerScrapedSeries(
    registry,
    {
      type: 'gauge',
      name: 'model_memory_over_budget',
      help: '1 while the loaded versions are estimated over the memory budget and none of them may be unloaded, else 0',
      labelNames: [],
      // Across HTTP processes: over where any process is.
      aggregator: 'max',
    },
    (emit) => emit({}, modelRegistry.memoryUse().overBudget ? 1 : 0),
  );
}
