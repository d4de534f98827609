import { Global, Injectable, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { ServerProcess, TO_HTTP_PROCESS, TO_PRIMARY } from '../cluster/server-process';
import { DomainError } from '../common/errors/domain-error';
import { BATCH_OBSERVERS } from '../inference/engine-contracts';
import { MODEL_LOAD_OBSERVER } from '../model-registry/model-loads';
import { BatchSeries } from './metrics/batch-series';
import { ModelLoadSeries } from './metrics/model-load-series';

/** The primary waits up to 5 s for each process; this covers that and the hop. */
const CLUSTER_SCRAPE_TIMEOUT_MS = 6_000;

/**
 * The Prometheus registry every series of this process lives in, and its
 * scrape. Each concern defines its series in a module of its own under
 * metrics/ and registers them here: the process's, HTTP's and serving's
 * (MetricsService), batching (BatchSeries, which inference/ reaches only
 * through the BATCH_OBSERVERS token it declares), model loads (ModelLoadSeries,
 * through model-registry/'s MODEL_LOAD_OBSERVER), gRPC, drift and the
 * prediction log.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();
  private scrapeInFlight: Promise<string> | undefined;

  constructor(private readonly serverProcess: ServerProcess) {
    // As text: the primary hands it to the thread that merges the scrape without parsing it itself.
    serverProcess.primary?.handle(TO_HTTP_PROCESS.metrics, async () => JSON.stringify(await this.registry.getMetricsAsJSON()));
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
}

@Global()
@Module({
  providers: [
    MetricsRegistry,
    { provide: BatchSeries, useFactory: (metrics: MetricsRegistry) => new BatchSeries(metrics.registry), inject: [MetricsRegistry] },
    { provide: BATCH_OBSERVERS, useExisting: BatchSeries },
    { provide: MODEL_LOAD_OBSERVER, useFactory: (metrics: MetricsRegistry) => new ModelLoadSeries(metrics.registry), inject: [MetricsRegistry] },
  ],
  exports: [MetricsRegistry, BATCH_OBSERVERS, MODEL_LOAD_OBSERVER],
})
export class MetricsRegistryModule {}
