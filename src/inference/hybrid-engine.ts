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

  async load(modelBytes: Uint8Array, label: string, hints: LoadHints = {}): Promise<LoadedModel> {
    const pooled = await this.workers.load(modelBytes, label);
    if (this.inlineMaxUs <= 0) return pooled;
    const micros = await fastestFullBatchMicros(pooled, hints.maxBatchRows ?? 1).catch(() => Infinity);
    if (micros > this.inlineMaxUs) return pooled;
    const inline = await this.eventLoop.load(modelBytes, label, hints);
    await pooled.release();
    return Object.assign(inline, {
      placement: `on the event loop (a batch of ${hints.maxBatchRows ?? 1} took ${micros.toFixed(0)} µs in a worker)`,
      residentBytes: residentBytesOf(modelBytes.byteLength, { workerSessions: 0, eventLoopSession: true, timedInWorkers: true }),
    });
  }

  failure(): string | undefined {
    return this.workers.failure?.();
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
