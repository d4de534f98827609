import type { Tensor, TensorMap } from '../inference/tensors';
import type { PredictionRecord } from '../serving/prediction-observers';
import type { LogSink, WriteResult } from './log-sink';

/** Why a record was not written: the queue was full, the sink kept failing, refused it, or the app stopped first. */
export type DropReason = 'queue_full' | 'sink_error' | 'rejected' | 'shutdown';

export const DROP_REASONS: readonly DropReason[] = ['queue_full', 'sink_error', 'rejected', 'shutdown'];

/** idle: nothing written yet; ok: the last write went through; failing: the last attempt failed (retrying); stopped: closed. */
export type SinkState = 'idle' | 'ok' | 'failing' | 'stopped';

export interface WriterStatus {
  readonly state: SinkState;
  readonly queued: number;
  readonly written: number;
  readonly dropped: number;
  readonly last_error?: string;
  readonly last_error_at?: string;
}

export interface WriterOptions {
  /** Most records waiting; one more is dropped (queue_full). */
  readonly queueSize: number;
  /** Most bytes of tensors the waiting records may hold, so large inputs cannot fill the memory. */
  readonly queueBytes: number;
  /** A batch smaller than the sink's batchSize is written once its oldest record has waited this long. */
  readonly flushIntervalMs: number;
  /** Tries per batch before it is dropped (sink_error). */
  readonly attempts: number;
  /** Backoff after the n-th failure in a row: baseMs * 2^(n-1), at most maxMs, with jitter. */
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  readonly onWritten?: (records: number) => void;
  readonly onDropped?: (reason: DropReason, records: number) => void;
  /** Called when the sink starts failing (with the error) and when it recovers (without). */
  readonly onStateChange?: (state: SinkState, error?: string) => void;
}

const ABORTED: unique symbol = Symbol('aborted');

interface Queued {
  readonly record: PredictionRecord;
  readonly at: number;
  readonly bytes: number;
}

interface Batch {
  readonly records: readonly PredictionRecord[];
  settled: boolean;
}

/**
 * The prediction log's background writer: a bounded queue that `offer` fills synchronously (it
 * never waits and never throws), and `sink.concurrency` loops that take batches from it and write
 * them, retrying with backoff a bounded number of times. Every offered record ends counted exactly
 * once: written, or dropped with a reason.
 */
export class LogWriter {
  private items: Queued[] = [];
  private head = 0;
  private queuedBytes = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly inFlight = new Set<Batch>();
  /** Records of the batches in flight: they count against the queue's bound until written or dropped. */
  private inFlightRecords = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private aborted = false;
  private abort: () => void = () => undefined;
  private readonly aborting: Promise<void>;
  private readonly lanes: Promise<void>[] = [];
  private failuresInRow = 0;
  private state: SinkState = 'idle';
  private lastError: { message: string; at: number } | undefined;
  private written = 0;
  private dropped = 0;

  constructor(
    private readonly sink: LogSink,
    private readonly options: WriterOptions,
  ) {
    this.aborting = new Promise((resolve) => {
      this.abort = resolve;
    });
    for (let lane = 0; lane < Math.max(1, sink.concurrency); lane++) this.lanes.push(this.runLane());
  }

  /** Queues a record, or drops it when the queue is full or closing. Constant time, no I/O. */
  offer(record: PredictionRecord): boolean {
    const bytes = recordBytes(record);
    if (this.closing || this.size + this.inFlightRecords >= this.options.queueSize || this.queuedBytes + bytes > this.options.queueBytes) {
      this.drop(this.closing ? 'shutdown' : 'queue_full', 1);
      return false;
    }
    this.items.push({ record, at: Date.now(), bytes });
    this.queuedBytes += bytes;
    if (this.size >= this.sink.batchSize) this.wake();
    else this.armFlushTimer();
    return true;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  status(): WriterStatus {
    return {
      state: this.state,
      queued: this.size + this.inFlightRecords,
      written: this.written,
      dropped: this.dropped,
      ...(this.lastError ? { last_error: this.lastError.message, last_error_at: new Date(this.lastError.at).toISOString() } : {}),
    };
  }

  /**
   * Writes what is queued, waiting at most `budgetMs`; then aborts what is still in flight and
   * drops the rest (shutdown). Resolves once the sink is closed.
   */
  async close(budgetMs: number): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), budgetMs);
    });
    const finished = await Promise.race([Promise.all(this.lanes).then(() => 'done' as const), outOfTime]);
    clearTimeout(timer);
    if (finished === 'timeout') {
      this.aborted = true;
      this.abort();
      for (const batch of this.inFlight) this.settle(batch, 'shutdown');
      const left = this.size;
      this.items = [];
      this.head = 0;
      this.queuedBytes = 0;
      if (left > 0) this.drop('shutdown', left);
    }
    clearTimeout(this.flushTimer);
    await this.sink.close().catch(() => undefined);
    this.setState('stopped');
  }

  private async runLane(): Promise<void> {
    for (;;) {
      if (this.aborted) return;
      const batch = this.takeReady();
      if (batch) {
        await this.deliver(batch);
        continue;
      }
      if (this.closing) return;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** A full batch, or what there is once the oldest record is due (or the writer is closing). */
  private takeReady(): Batch | undefined {
    const size = this.size;
    if (size === 0) return undefined;
    const due = this.closing || size >= this.sink.batchSize || Date.now() - this.items[this.head].at >= this.options.flushIntervalMs;
    if (!due) {
      this.armFlushTimer();
      return undefined;
    }
    const taken = this.items.slice(this.head, this.head + this.sink.batchSize);
    this.head += taken.length;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    for (const item of taken) this.queuedBytes -= item.bytes;
    const batch: Batch = { records: taken.map((item) => item.record), settled: false };
    this.inFlight.add(batch);
    this.inFlightRecords += batch.records.length;
    return batch;
  }

  private async deliver(batch: Batch): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await Promise.race<WriteResult | void | typeof ABORTED>([
          Promise.resolve().then(() => this.sink.write(batch.records)),
          this.aborting.then(() => ABORTED),
        ]);
        if (result === ABORTED || batch.settled) return;
        const rejected = Math.min(result?.rejected ?? 0, batch.records.length);
        this.landed(batch);
        batch.settled = true;
        if (rejected > 0) {
          this.drop('rejected', rejected);
          this.noteError(result?.reason ?? `${rejected} records refused by the sink`);
        }
        this.written += batch.records.length - rejected;
        this.options.onWritten?.(batch.records.length - rejected);
        this.failuresInRow = 0;
        this.setState('ok');
        return;
      } catch (error) {
        if (batch.settled) return;
        this.failuresInRow++;
        this.noteError(messageOf(error));
        this.setState('failing', this.lastError?.message);
        if (attempt >= this.options.attempts) {
          this.settle(batch, 'sink_error');
          return;
        }
        await Promise.race([sleep(this.backoffMs()), this.aborting]);
        if (batch.settled) return;
      }
    }
  }

  private settle(batch: Batch, reason: DropReason): void {
    if (batch.settled) return;
    batch.settled = true;
    this.landed(batch);
    this.drop(reason, batch.records.length);
  }

  private landed(batch: Batch): void {
    if (this.inFlight.delete(batch)) this.inFlightRecords -= batch.records.length;
  }

  private backoffMs(): number {
    const { baseMs, maxMs } = this.options.backoff;
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(this.failuresInRow - 1, 20));
    // Full jitter's upper half: processes and pods that failed together do not retry together.
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private drop(reason: DropReason, records: number): void {
    this.dropped += records;
    this.options.onDropped?.(reason, records);
  }

  private noteError(message: string): void {
    this.lastError = { message, at: Date.now() };
  }

  private setState(state: SinkState, error?: string): void {
    if (state === this.state) return;
    const notify = state === 'failing' || (this.state === 'failing' && state === 'ok');
    this.state = state;
    if (notify) this.options.onStateChange?.(state, error);
  }

  private armFlushTimer(): void {
    if (this.flushTimer !== undefined || this.size === 0) return;
    const wait = Math.max(0, this.items[this.head].at + this.options.flushIntervalMs - Date.now());
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.wake();
    }, wait);
    this.flushTimer.unref();
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

/** About what a record holds on to while it waits: its tensors' bytes (strings estimated). */
function recordBytes(record: PredictionRecord): number {
  return tensorBytes(record.inputs) + tensorBytes(record.outputs);
}

function tensorBytes(tensors: TensorMap): number {
  let bytes = 0;
  for (const name in tensors) {
    const data: Tensor['data'] = tensors[name].data;
    bytes += Array.isArray(data) ? data.length * 64 : data.byteLength;
  }
  return bytes;
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  const message = error instanceof Error ? error.message || error.name : String(error);
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
