import type { InferenceEngine, LoadedModel, LoadHints } from './engine-contracts';
import { residentBytesOf } from './resident-bytes';
import type { PooledModel, WorkerPoolEngine } from './worker-pool';
import { zeroFeeds } from './warm-up';

/**
 * Timed runs of a full batch when deciding where a model runs. The fastest
 * counts: the first runs in a fresh worker, or beside other models loading,
 * take many times longer than the model's own cost.
 */
const TIMING_RUNS = 10;

/**
 * Timings kept for models loaded again later, by their bytes' digest: with lazy loading a model
 * unloaded for the memory budget comes back on its next request, and timing it anew would create
 * and drop a session in every worker each time (CPU, and memory the allocator keeps). Oldest go first.
 */
const REMEMBERED_TIMINGS = 10_000;

/**
 * Runs each model where it costs least: in worker threads, unless a full
 * batch of it takes no longer than `inlineMaxUs`, in which case it runs on the
 * event loop. For a tiny model (iris: ~15 µs for 32 rows) handing a batch to a
 * worker and taking the answer back costs the event loop more than the
 * inference itself; profiles of iris under load showed the hop as a tenth of
 * the main thread's time. A model that is not tiny (the digit CNN: ~3.5 ms
 * for 32 images) stays off the event loop, so HTTP, health checks and metrics
 * never wait for it.
 *
 * Every model is loaded and timed in the workers first (the time of the
 * inference itself, measured in the worker), so a model that fails to load or
 * run fails there, never on the event loop, and timing a heavy model never
 * blocks the event loop.
 */
export class HybridEngine implements InferenceEngine {
  constructor(
    private readonly workers: WorkerPoolEngine,
    private readonly eventLoop: InferenceEngine,
    private readonly inlineMaxUs: number,
  ) {}

  /** Microseconds of a full batch, by `<sha256>:<rows>`, of models that loaded and ran in the workers. */
  private readonly timings = new Map<string, number>();

  async load(modelBytes: Uint8Array, label: string, hints: LoadHints = {}): Promise<LoadedModel> {
    const rows = hints.maxBatchRows ?? 1;
    const key = hints.sha256 === undefined ? undefined : `${hints.sha256}:${rows}`;
    const known = key === undefined ? undefined : this.timings.get(key);
    if (this.inlineMaxUs > 0 && known !== undefined && known <= this.inlineMaxUs) {
      // These bytes loaded and ran in the workers before: safe on the event loop without a new trial there.
      return this.onEventLoop(modelBytes, label, hints, `a batch of ${rows} took ${known.toFixed(0)} µs in a worker, when first loaded`, false);
    }
    const pooled = await this.workers.load(modelBytes, label);
    if (this.inlineMaxUs <= 0 || known !== undefined) return pooled;
    const micros = await fastestFullBatchMicros(pooled, rows).catch(() => Infinity);
    if (key !== undefined && Number.isFinite(micros)) this.remember(key, micros);
    if (micros > this.inlineMaxUs) return pooled;
    const inline = await this.onEventLoop(modelBytes, label, hints, `a batch of ${rows} took ${micros.toFixed(0)} µs in a worker`, true);
    await pooled.release();
    return inline;
  }

  private async onEventLoop(modelBytes: Uint8Array, label: string, hints: LoadHints, why: string, timedInWorkers: boolean): Promise<LoadedModel> {
    const inline = await this.eventLoop.load(modelBytes, label, hints);
    return Object.assign(inline, {
      placement: `on the event loop (${why})`,
      residentBytes: residentBytesOf(modelBytes.byteLength, { workerSessions: 0, eventLoopSession: true, timedInWorkers }),
    });
  }

  private remember(key: string, micros: number): void {
    this.timings.delete(key);
    this.timings.set(key, micros);
    if (this.timings.size > REMEMBERED_TIMINGS) this.timings.delete(this.timings.keys().next().value!);
  }

  failure(): string | undefined {
    return this.workers.failure?.();
  }

  runtimeBytes(): number {
    return (this.workers.runtimeBytes?.() ?? 0) + (this.eventLoop.runtimeBytes?.() ?? 0);
  }

  async close(): Promise<void> {
    await Promise.all([this.workers.close?.(), this.eventLoop.close?.()]);
  }
}

async function fastestFullBatchMicros(model: PooledModel, rows: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < TIMING_RUNS; i++) {
    // Fresh feeds each time: a run through a worker transfers (detaches) their buffers.
    times.push((await model.runTimed(zeroFeeds(model, rows))).micros);
  }
  return Math.min(...times);
}
