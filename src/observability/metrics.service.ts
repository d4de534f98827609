import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, type Registry } from 'prom-client';
import { registerProcessMemoryGauge } from '../cluster/process-memory';
import { ServerProcess, TO_HTTP_PROCESS, TO_PRIMARY } from '../cluster/server-process';
import { DomainError } from '../common/errors/domain-error';
import { ModelRegistry } from '../model-registry/model-registry.service';
import type { Outcome, Protocol } from '../request-context/request-context';
import { BoundCounter, BoundHistogram } from './bound-metrics';
import { InferenceMetrics } from './metrics-registry';


/** The primary waits up to 5 s for each process; this covers that and the hop. */
const CLUSTER_SCRAPE_TIMEOUT_MS = 6_000;

/**
 * The HTTP and per-request series, beside the inference series of
 * InferenceMetrics in the same Prometheus registry. Labels are bounded on
 * purpose: route templates (never raw URLs), status codes, and model/version
 * only once the registry has resolved them, so clients cannot mint new series.
 */
@Injectable()
export class MetricsService {
  readonly registry: Registry;
  readonly httpRequestDuration: BoundHistogram<'method' | 'route' | 'status_code'>;
  private readonly predictions: BoundCounter<'model' | 'version' | 'outcome' | 'protocol'>;
  private readonly cacheLookups: Record<'hit' | 'miss', BoundCounter<'model' | 'version'>>;
  /** Connections closed by the server for not reading their answers (common/connection-backpressure.ts). */
  readonly connectionsClosed: Counter<'reason'>;
  private scrapeInFlight: Promise<string> | undefined;

  constructor(
    modelRegistry: ModelRegistry,
    inferenceMetrics: InferenceMetrics,
    private readonly serverProcess: ServerProcess,
  ) {
    this.registry = inferenceMetrics.registry;
    collectDefaultMetrics({ register: this.registry });
    registerProcessMemoryGauge(this.registry, String(serverProcess.index));
    serverProcess.primary?.handle(TO_HTTP_PROCESS.metrics, () => this.registry.getMetricsAsJSON());
    this.httpRequestDuration = new BoundHistogram(
      'http_request_duration_seconds',
      'HTTP request duration in seconds, by method, route template and status code',
      ['method', 'route', 'status_code'],
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      this.registry,
    );
    this.connectionsClosed = new Counter({
      name: 'http_connections_closed_total',
      help:
        'HTTP connections the server closed: too_many_pipelined_requests (more than MAX_PIPELINED_REQUESTS sent ' +
        'without their answers going out) or stalled_send (answers unsent for SEND_TIMEOUT_MS while requests waited)',
      labelNames: ['reason'] as const,
      registers: [this.registry],
    });
    // Counted on every request: bound counters (bound-metrics.ts).
    this.predictions = new BoundCounter(
      'model_predictions_total',
      'Requests answered by a resolved model version, by outcome and protocol (http or grpc)',
      ['model', 'version', 'outcome', 'protocol'],
      this.registry,
    );
    this.cacheLookups = {
      hit: new BoundCounter(
        'model_cache_hits_total',
        'Requests answered from the model version response cache (models with "cache" in config.json)',
        ['model', 'version'],
        this.registry,
      ),
      miss: new BoundCounter(
        'model_cache_misses_total',
        'Requests the model version response cache could not answer (run, then cached)',
        ['model', 'version'],
        this.registry,
      ),
    };
    registerCacheSeries(this.registry, modelRegistry);
    new Gauge({
      name: 'model_config_errors',
      help: "1 while the model's config.json on disk is refused (the last good config, if any, stays in force), else 0",
      labelNames: ['model'] as const,
      registers: [this.registry],
      // Across HTTP processes: refused where any process refused it (they read the same file).
      aggregator: 'max',
      collect() {
        // Reset first: a removed model's series goes with it, so the series are the models in the repository.
        this.reset();
        for (const model of modelRegistry.list()) this.set({ model: model.name }, model.configError ? 1 : 0);
      },
    });
    new Gauge({
      name: 'model_version_ready',
      help: '1 when the model version is READY to serve, else 0',
      labelNames: ['model', 'version'] as const,
      registers: [this.registry],
      // Across HTTP processes: ready only where every process can serve it.
      aggregator: 'min',
      collect() {
        this.reset();
        for (const model of modelRegistry.list()) {
          for (const status of model.versions) {
            this.set({ model: model.name, version: String(status.version) }, status.state === 'READY' ? 1 : 0);
          }
        }
      },
    });
  }

  /**
   * The text Prometheus scrapes: this process's series, or with several HTTP
   * processes everyone's merged by the primary (counters and histograms
   * summed), so one scrape of the Service sees the whole pod.
   */
  scrape(): Promise<string> {
    // Scrapes that arrive while one is being collected share it: collecting is the expensive part (every
    // process's registry, merged by the primary), and a client sending hundreds of /metrics requests at
    // once would otherwise collect hundreds of times: measured, 400 at once kept two processes busy for 2 s.
    this.scrapeInFlight ??= this.collect().finally(() => {
      this.scrapeInFlight = undefined;
    });
    return this.scrapeInFlight;
  }

  private async collect(): Promise<string> {
    const primary = this.serverProcess.primary;
    if (!primary) return this.registry.metrics();
    try {
      return await primary.request<string>(TO_PRIMARY.scrape, undefined, CLUSTER_SCRAPE_TIMEOUT_MS);
    } catch (error) {
      // A scrape missing a process would look to Prometheus like counters going back: none is better.
      throw new DomainError('PROCESS_UNAVAILABLE', `metrics could not be collected from every HTTP process: ${(error as Error).message}`);
    }
  }

  /** Model names and versions come from the registry (resolved versions only): clients cannot mint series. */
  recordCacheLookup(model: string, version: number, hit: boolean): void {
    this.cacheLookups[hit ? 'hit' : 'miss'].labels({ model, version: String(version) }).inc();
  }

  recordPrediction(model: string, version: number, outcome: Outcome, protocol: Protocol): void {
    this.predictions.labels({ model, version: String(version), outcome, protocol }).inc();
  }
}

/**
 * Evictions and size of the response caches, read from the loaded versions at
 * scrape time (the caches count their own evictions; a counter goes up by
 * what happened since the last scrape, and a reloaded version starts again).
 */
function registerCacheSeries(registry: Registry, modelRegistry: ModelRegistry): void {
  const seen = new WeakMap<object, number>();
  const loadedCaches = function* () {
    for (const model of modelRegistry.list()) {
      for (const status of model.versions) {
        const cache = status.ready?.cache;
        if (cache) yield { labels: { model: model.name, version: String(status.version) }, cache };
      }
    }
  };
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
  new Gauge({
    name: 'model_cache_bytes',
    help: 'Bytes held by a response cache (bounded by its max_bytes)',
    labelNames: ['model', 'version'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, cache } of loadedCaches()) this.set(labels, cache.bytes);
    },
  });
}
