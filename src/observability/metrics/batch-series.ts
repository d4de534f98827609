import type { Registry } from 'prom-client';
import type { BatchObserver, BatchObservers } from '../../inference/engine-contracts';
import { BoundGauge, BoundHistogram } from './bound-metrics';

/**
 * The series that show whether batching really batches, per model version.
 * The batchers reach them only through the BATCH_OBSERVERS token that
 * inference/ declares (metrics-registry.ts provides this class for it).
 */
export class BatchSeries implements BatchObservers {
  // Bound: observed once per batch and once per request, without prom-client's per-call label hashing.
  private readonly inferenceDuration: BoundHistogram<'model' | 'version'>;
  private readonly batchSize: BoundHistogram<'model' | 'version'>;
  private readonly queueDuration: BoundHistogram<'model' | 'version'>;
  /**
   * The batcher reports its queue's depth on every enqueue and dispatch: setting a prom-client gauge
   * that often showed in profiles, while only the value at scrape time is ever seen.
   */
  private readonly queueDepth: BoundGauge<'model' | 'version'>;

  constructor(registry: Registry) {
    this.inferenceDuration = new BoundHistogram(
      'model_inference_duration_seconds',
      'Duration of one inference (one batch) in seconds',
      ['model', 'version'],
      [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registry,
    );
    this.batchSize = new BoundHistogram(
      'model_batch_size',
      'Rows (instances) per inference: above 1 when requests are batched together',
      ['model', 'version'],
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registry,
    );
    this.queueDuration = new BoundHistogram(
      'model_queue_duration_seconds',
      'Time a request waited in the batching queue before its inference started',
      ['model', 'version'],
      [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registry,
    );
    this.queueDepth = new BoundGauge('model_queue_depth', 'Instances waiting in the batching queue', ['model', 'version'], registry);
  }

  observerFor(model: string, version: number): BatchObserver {
    const labels = { model, version: String(version) };
    const inference = this.inferenceDuration.labels(labels);
    const batch = this.batchSize.labels(labels);
    const queue = this.queueDuration.labels(labels);
    const depth = this.queueDepth.labels(labels);
    depth.set(0);
    return {
      onBatch: (rows, queueSeconds, inferenceSeconds) => {
        batch.observe(rows);
        inference.observe(inferenceSeconds);
        for (const seconds of queueSeconds) queue.observe(seconds);
      },
      onQueueDepth: (rows) => depth.set(rows),
    };
  }

  /** Drops a retired version's series so removed versions do not linger in scrapes. */
  forget(model: string, version: number): void {
    const labels = { model, version: String(version) };
    for (const metric of [this.inferenceDuration, this.batchSize, this.queueDuration, this.queueDepth]) metric.remove(labels);
  }
}
