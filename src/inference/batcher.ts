import { DomainError } from '../common/errors/domain-error';
import { abandonedBecause, type BatchObserver, type LoadedModel, type RunOptions } from './engine-contracts';
import { allocateUninitialized, elementCount, type Tensor, type TensorData, type TensorMap } from './tensors';

export interface BatchSettings {
  /** Merge requests into one inference; off still queues (bounded) and keeps at most `parallelism` runs going. */
  enabled: boolean;
  /** Most rows (instances) one inference carries. */
  maxBatchSize: number;
  /** How long the first queued request may wait for others to join it, in microseconds; 0 = only what is already queued. */
  maxQueueDelayUs: number;
  /** Most rows waiting per version; beyond it requests are refused at once (503 + Retry-After). */
  maxQueueSize: number;
}

interface QueuedRun {
  feeds: TensorMap;
  outputNames: readonly string[] | undefined;
  rows: number;
  /** Requests may share an inference only when this matches: same outputs, same datatypes and row shapes. */
  key: string;
  enqueuedAt: number;
  options: RunOptions;
  resolve: (outputs: TensorMap) => void;
  reject: (error: unknown) => void;
}

/**
 * A dynamic batcher in front of one model version: requests that arrive
 * while the sessions are busy (or within the queue delay) and have the same
 * shape are concatenated along the batch dimension, run as one inference, and
 * the outputs are cut back into each caller's rows. Models whose inputs or
 * outputs lack a dynamic first dimension are never merged.
 */
export class BatchingModel implements LoadedModel {
  readonly inputs;
  readonly outputs;
  readonly parallelism: number;
  readonly placement: string | undefined;
  readonly residentBytes: number | undefined;
  /** Whether requests can be merged at all: every input and output has a dynamic first dimension. */
  readonly mergeable: boolean;
  private readonly queue: QueuedRun[] = [];
  private queuedRows = 0;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private aloneRuns = 0;

  constructor(
    private readonly inner: LoadedModel,
    private readonly settings: BatchSettings,
    private readonly observer: BatchObserver,
    private readonly label: string,
  ) {
    this.inputs = inner.inputs;
    this.outputs = inner.outputs;
    this.parallelism = inner.parallelism ?? 1;
    this.placement = inner.placement;
    this.residentBytes = inner.residentBytes;
    this.mergeable =
      settings.enabled &&
      settings.maxBatchSize > 1 &&
      [...inner.inputs, ...inner.outputs].every((spec) => spec.dims.length > 0 && spec.dims[0] === null);
  }

  run(feeds: TensorMap, outputNames?: readonly string[], options: RunOptions = {}): Promise<TensorMap> {
    const rows = Object.values(feeds)[0]?.dims[0] ?? 1;
    // A request larger than the whole queue is still taken when nothing waits, or it could never run.
    if (this.queuedRows > 0 && this.queuedRows + rows > this.settings.maxQueueSize) {
      return Promise.reject(
        new DomainError(
          'OVERLOADED',
          `model ${this.label} is overloaded: ${this.queuedRows} instances already queued (MAX_QUEUE_SIZE ${this.settings.maxQueueSize}); retry shortly`,
        ),
      );
    }
    return new Promise<TensorMap>((resolve, reject) => {
      this.queue.push({ feeds, outputNames, rows, key: this.keyFor(feeds, outputNames), enqueuedAt: performance.now(), options, resolve, reject });
      this.queuedRows += rows;
      this.observer.onQueueDepth(this.queuedRows);
      this.schedule();
    });
  }

  release(): Promise<void> {
    return this.inner.release();
  }

  /**
   * Requests are merged along the first dimension, so only those whose inputs
   * all have the same number of rows there. /v2 clients may send inputs whose
   * first dimensions differ (valid alone for a broadcasting model); merged with
   * others they would fail or mix rows, so such a request runs alone.
   */
  private keyFor(feeds: TensorMap, outputNames: readonly string[] | undefined): string {
    const rows = Object.values(feeds).map((tensor) => tensor.dims[0]);
    return rows.every((count) => count === rows[0]) ? shapeKey(feeds, outputNames) : `alone:${++this.aloneRuns}`;
  }

  /**
   * Dispatches on the next turn of the event loop, so every request that
   * arrived in this turn can join the batch; or after the configured delay
   * when the queue cannot fill a batch yet.
   */
  private schedule(): void {
    if (this.running >= this.parallelism || this.immediate) return;
    const delayMs = this.settings.maxQueueDelayUs / 1000;
    if (delayMs > 0 && this.mergeable && this.queuedRows < this.settings.maxBatchSize) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.dispatch();
      }, delayMs);
      return;
    }
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.running < this.parallelism && this.queue.length > 0) {
      const batch = this.takeBatch();
      if (batch.length > 0) void this.runBatch(batch);
    }
  }

  /** The oldest live request and the compatible ones behind it, up to the batch size. */
  private takeBatch(): QueuedRun[] {
    const batch: QueuedRun[] = [];
    let rows = 0;
    for (let i = 0; i < this.queue.length; ) {
      const item = this.queue[i];
      const gone = abandonedBecause(item.options);
      const fits = batch.length === 0 || (this.mergeable && item.key === batch[0].key && rows + item.rows <= this.settings.maxBatchSize);
      if (gone || fits) {
        this.queue.splice(i, 1);
        this.queuedRows -= item.rows;
        if (gone) {
          item.options.batched?.({ enqueuedAt: item.enqueuedAt, startedAt: performance.now(), rows: item.rows, batchRows: 0, batchRequests: 0, error: gone });
          item.reject(new DomainError('OVERLOADED', `${gone} before model ${this.label} could run it`));
          continue;
        }
        batch.push(item);
        rows += item.rows;
        if (!this.mergeable || rows >= this.settings.maxBatchSize) break;
      } else {
        i++;
      }
    }
    this.observer.onQueueDepth(this.queuedRows);
    return batch;
  }


  private async runBatch(batch: QueuedRun[]): Promise<void> {
    this.running++;
    const started = performance.now();
    const queueSeconds = batch.map((item) => (started - item.enqueuedAt) / 1000);
    const rows = batch.reduce((sum, item) => sum + item.rows, 0);
    try {
      const feeds = batch.length === 1 ? batch[0].feeds : concatenate(batch.map((item) => item.feeds));
      const outputs = await this.inner.run(feeds, batch[0].outputNames);
      const finished = performance.now();
      this.observer.onBatch(rows, queueSeconds, (finished - started) / 1000);
      if (batch.length === 1) {
        batch[0].resolve(outputs);
      } else {
        let offset = 0;
        for (const item of batch) {
          item.resolve(sliceRows(outputs, offset, item.rows, rows, this.label));
          offset += item.rows;
        }
      }
      this.tell(batch, started, finished, rows);
    } catch (error) {
      this.tell(batch, started, performance.now(), rows, error);
      for (const item of batch) item.reject(error);
    } finally {
      this.running--;
      if (this.queue.length > 0) this.schedule();
    }
  }

  /** Each request of a batch learns its queue wait and the batch's inference (for its log line and its trace). */
  private tell(batch: readonly QueuedRun[], started: number, finished: number, rows: number, error?: unknown): void {
    for (const item of batch) {
      if (item.options.batched === undefined) continue;
      item.options.batched({
        enqueuedAt: item.enqueuedAt,
        startedAt: started,
        finishedAt: finished,
        rows: item.rows,
        batchRows: rows,
        batchRequests: batch.length,
        placement: this.placement,
        error: error === undefined ? undefined : error instanceof Error ? error.message : String(error),
      });
    }
  }
}

function shapeKey(feeds: TensorMap, outputNames: readonly string[] | undefined): string {
  const inputs = Object.entries(feeds)
    .map(([name, tensor]) => `${name}:${tensor.type}:${tensor.dims.slice(1).join('x')}`)
    .sort();
  return `${inputs.join(',')}|${outputNames?.join(',') ?? '*'}`;
}

/** Joins several requests' inputs along the first dimension, in queue order. */
function concatenate(feedsList: readonly TensorMap[]): TensorMap {
  const result: TensorMap = {};
  for (const name of Object.keys(feedsList[0])) {
    const parts = feedsList.map((feeds) => feeds[name]);
    const rows = parts.reduce((sum, tensor) => sum + tensor.dims[0], 0);
    const first = parts[0];
    const rowSize = elementCount(first.dims.slice(1));
    const data = allocateUninitialized(first.type, rows * rowSize);
    let offset = 0;
    for (const part of parts) {
      if (Array.isArray(data)) (data as string[]).splice(offset, part.data.length, ...(part.data as string[]));
      else (data as Exclude<TensorData, string[]> & { set(array: ArrayLike<number | bigint>, offset: number): void }).set(part.data as ArrayLike<number>, offset);
      offset += part.data.length;
    }
    result[name] = { type: first.type, dims: [rows, ...first.dims.slice(1)], data };
  }
  return result;
}

/** One caller's rows of a batched output. */
function sliceRows(outputs: TensorMap, offset: number, rows: number, totalRows: number, label: string): TensorMap {
  const result: TensorMap = {};
  for (const [name, tensor] of Object.entries(outputs)) {
    if (tensor.dims[0] !== totalRows) {
      throw new Error(`model ${label} output ${name} has ${tensor.dims[0]} rows for a batch of ${totalRows}: it cannot be batched`);
    }
    const rowSize = elementCount(tensor.dims.slice(1));
    const data = (tensor.data as Float32Array).slice(offset * rowSize, (offset + rows) * rowSize) as unknown as TensorData;
    result[name] = { type: tensor.type, dims: [rows, ...tensor.dims.slice(1)], data } satisfies Tensor;
  }
  return result;
}
