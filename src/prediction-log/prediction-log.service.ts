import { hostname } from 'node:os';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ServerProcess } from '../cluster/server-process';
import { AppConfig } from '../config/app-config';
import { ReadinessDetails } from '../health/readiness-details';
import { MetricsRegistry } from '../observability/metrics-registry';
import { registerPredictionLogSeries } from '../observability/metrics/prediction-log-series';
import { type PredictionObserver, PredictionObservers, type PredictionRecord } from '../serving/prediction-observers';
import type { LogSink } from './log-sink';
import { describeTarget, fileOfProcess, type LogTarget, parseLogTarget } from '../config/prediction-log-target';
import { DROP_REASONS, LogWriter, type WriterStatus } from './log-writer';
import { sampler } from './sampling';
import { FileSink } from './sinks/file-sink';
import { HttpSink } from './sinks/http-sink';
import { PostgresSink } from './sinks/postgres-sink';

/** Waiting records may hold at most this many bytes of tensors (on top of PREDICTION_LOG_QUEUE_SIZE records). */
export const QUEUE_MAX_BYTES = 64 * 1024 * 1024;
/** A batch smaller than its sink's batch size waits at most this long. */
const FLUSH_INTERVAL_MS = 200;
/** Tries per batch, with backoff from 250 ms up to 10 s between them, before the batch is dropped. */
const ATTEMPTS = 5;
const BACKOFF = { baseMs: 250, maxMs: 10_000 } as const;
/** On close, what is queued is written within this long at most (and within a quarter of SHUTDOWN_GRACE_MS). */
const FLUSH_ON_CLOSE_MAX_MS = 5_000;

export interface PredictionLogStatus extends WriterStatus {
  readonly sink: LogTarget['sink'];
  readonly target: string;
}

/**
 * The prediction log (PREDICTION_LOG): an observer of every answered prediction that samples it and
 * queues it for a background writer, and nothing more, so logging never delays, fails or changes a
 * prediction. Off (not even registered as an observer) when PREDICTION_LOG is empty.
 */
@Injectable()
export class PredictionLog implements PredictionObserver, OnModuleInit, OnApplicationShutdown {
  readonly name = 'prediction-log';
  private readonly logger = new Logger('PredictionLog');
  private readonly target: LogTarget | undefined;
  private readonly sampled: (requestId: string | undefined) => boolean;
  /** The file this process writes, or the URL without credentials. */
  private readonly where: string;
  private writer: LogWriter | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly observers: PredictionObservers,
    serverProcess: ServerProcess,
    private readonly metrics: MetricsRegistry,
    private readonly readinessDetails: ReadinessDetails,
  ) {
    // Validated with the rest of the configuration at start; parsed again here for its parts.
    this.target = parseLogTarget(config.PREDICTION_LOG);
    this.sampled = sampler(config.PREDICTION_LOG_SAMPLE);
    const target = this.target;
    this.where =
      target?.sink === 'file' ? fileOfProcess(target.path, serverProcess.index, serverProcess.clustered) : target ? describeTarget(target) : '';
  }

  get enabled(): boolean {
    return this.target !== undefined;
  }

  onModuleInit(): void {
    const target = this.target;
    if (!target) return;
    this.readinessDetails.show('prediction_log', () => ({ ...this.status() }));
    const counts = registerPredictionLogSeries(this.metrics.registry, target.sink, DROP_REASONS, () => this.writer?.status().queued ?? 0);

    this.writer = new LogWriter(this.createSink(target), {
      queueSize: this.config.PREDICTION_LOG_QUEUE_SIZE,
      queueBytes: QUEUE_MAX_BYTES,
      flushIntervalMs: FLUSH_INTERVAL_MS,
      attempts: ATTEMPTS,
      backoff: BACKOFF,
      onWritten: counts.written,
      onDropped: counts.dropped,
      onStateChange: (state, error) => {
        if (state === 'failing') this.logger.warn(`prediction log (${target.sink}) is failing, retrying with backoff: ${error}`);
        else this.logger.log(`prediction log (${target.sink}) is writing again`);
      },
    });
    this.observers.add(this);
    this.logger.log(
      `prediction log: ${target.sink} ${this.where}, sample ${this.config.PREDICTION_LOG_SAMPLE}, queue ${this.config.PREDICTION_LOG_QUEUE_SIZE}`,
    );
  }

  /** On the request path: a hash of the request id and an array push, nothing else. */
  observe(record: PredictionRecord): void {
    if (this.sampled(record.requestId)) this.writer?.offer(record);
  }

  /** A shadow version's answer (shadow/): sampled by the same request id, so it is logged exactly when the served answer is. */
  observeShadow(record: PredictionRecord): void {
    if (this.sampled(record.requestId)) this.writer?.offer(record);
  }

  status(): PredictionLogStatus | undefined {
    if (!this.target || !this.writer) return undefined;
    return { sink: this.target.sink, target: this.where, ...this.writer.status() };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.writer?.close(Math.min(FLUSH_ON_CLOSE_MAX_MS, Math.floor(this.config.SHUTDOWN_GRACE_MS / 4)));
  }

  private createSink(target: LogTarget): LogSink {
    const maxValueBytes = this.config.PREDICTION_LOG_MAX_VALUE_BYTES;
    switch (target.sink) {
      case 'file':
        return new FileSink(this.where, target, maxValueBytes);
      case 'postgres':
        return new PostgresSink(target.url, maxValueBytes, this.config.PREDICT_AUTH !== 'off');
      case 'http':
        return new HttpSink(target.url, { source: `http://${hostname()}:${this.config.PORT}/`, maxValueBytes });
    }
  }
}
