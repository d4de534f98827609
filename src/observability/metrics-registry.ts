import { Global, Injectable, Module } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { BoundHistogram } from './bound-metrics';
import { BATCH_OBSERVERS, type BatchObserver, type BatchObservers } from '../inference/engine-contracts';

/**
 * The Prometheus registry every series of the service lives in, and the
 * series that show whether batching really batches. Kept apart from
 * MetricsService, which reads the model registry: the registry reaches these
 * series only through the BATCH_OBSERVERS token that inference/ declares.
 */
@Injectable()
export class InferenceMetrics implements BatchObservers {
  readonly registry = new Registry();

  // Bound histograms: observed once per batch and once per request, without prom-client's per-call label hashing.
  private readonly inferenceDuration = new BoundHistogram(
    'model_inference_duration_seconds',
    'Duration of one inference (one batch) in seconds',
    ['model', 'version'],
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    this.registry,
  );

  private readonly batchSize = new BoundHistogram(
    'model_batch_size',
    'Rows (instances) per inference: above 1 when requests are batched together',
    ['model', 'version'],
    [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    this.registry,
  );

  private readonly queueDuration = new BoundHistogram(
    'model_queue_duration_seconds',
    'Time a request waited in the batching queue before its inference started',
    ['model', 'version'],
    [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    this.registry,
  );

  /**
   * Each version's queue depth, read when Prometheus scrapes: the batcher
   * reports it on every enqueue and dispatch, and setting a gauge that often
   * showed in profiles, while only the value at scrape time is ever seen.
   */
  private readonly depths = new Map<string, { labels: { model: string; version: string }; rows: number }>();

  private readonly queueDepth = new Gauge({
    name: 'model_queue_depth',
    help: 'Instances waiting in the batching queue',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
    collect: () => {
      for (const { labels, rows } of this.depths.values()) this.queueDepth.set(labels, rows);
    },
  });

  observerFor(model: string, version: number): BatchObserver {
    const labels = { model, version: String(version) };
    const inference = this.inferenceDuration.labels(labels);
    const batch = this.batchSize.labels(labels);
    const queue = this.queueDuration.labels(labels);
    const depth = { labels, rows: 0 };
    this.depths.set(`${model}/${version}`, depth);
    return {
      onBatch: (rows, queueSeconds, inferenceSeconds) => {
        batch.observe(rows);
        inference.observe(inferenceSeconds);
        for (const seconds of queueSeconds) queue.observe(seconds);
      },
      onQueueDepth: (rows) => {
        depth.rows = rows;
      },
    };
  }

  /** Drops a retired version's series so removed versions do not linger in scrapes. */
  forget(model: string, version: number): void {
    const labels = { model, version: String(version) };
    this.depths.delete(`${model}/${version}`);
    for (const metric of [this.inferenceDuration, this.batchSize, this.queueDuration, this.queueDepth]) {
      metric.remove(labels);
    }
  }
}

@Global()
@Module({
  providers: [InferenceMetrics, { provide: BATCH_OBSERVERS, useExisting: InferenceMetrics }],
  exports: [InferenceMetrics, BATCH_OBSERVERS],
})
export class InferenceMetricsModule {}
