import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error';
import { compiledScript } from '../common/runtime/compiled-script';
import type { InferenceEngine, LoadedModel, SessionSettings } from './engine-contracts';
import { residentBytesOf, RUNTIME_BYTES_PER_WORKER } from './resident-bytes';
import type { TensorMap, TensorSpec } from './tensors';
import type { WorkerReply, WorkerRequestBody } from './worker-protocol';

/** The worker script (see compiledScript: tests running from sources use dist/'s). */
function workerScript(): string {
  return compiledScript(__dirname, 'worker-thread.js', 'inference/worker-thread.js');
}

interface Pending {
  resolve: (reply: WorkerReply) => void;
  reject: (error: Error) => void;
}

/** Attempts to start a replacement for a dead worker, with every session, before liveness gives up. */
const REPLACEMENT_ATTEMPTS = 3;

/** One worker thread and the requests it has not answered yet. */
class WorkerThreadHandle {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  failure: DomainError | undefined;
  /** Runs sent and not answered, used to pick the least busy worker. */
  busy = 0;

  constructor(settings: SessionSettings, index: number, onDeath: (worker: WorkerThreadHandle) => void) {
    this.worker = new Worker(workerScript(), { workerData: settings, name: `inference-${index}` });
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => {
      const pending = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.op === 'failed') pending?.reject(new Error(reply.message));
      else pending?.resolve(reply);
    });
    const fail = (cause: Error) => {
      if (this.failure) return;
      // A service-side fault, not the request's: 503 so clients retry elsewhere.
      this.failure = new DomainError('ENGINE_UNAVAILABLE', cause.message);
      for (const pending of this.pending.values()) pending.reject(this.failure);
      this.pending.clear();
      onDeath(this);
    };
    this.worker.on('error', (error) => fail(new Error(`inference worker ${index} crashed: ${error.message}`)));
    this.worker.on('exit', (code) => fail(new Error(`inference worker ${index} exited with code ${code}`)));
  }

  request<R extends WorkerReply>(message: WorkerRequestBody, transfer: ArrayBuffer[] = []): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (reply: WorkerReply) => void, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * Runs models in worker threads, one session per version in every worker, so
 * inference never blocks the event loop and versions can run on several
 * cores at once. Each run goes to the least busy live worker.
 *
 * A worker that dies (a native crash in a model, an out-of-memory kill of the
 * thread) is replaced in place: a new thread loads every session the old one
 * had before it takes runs, so the process and its other sessions carry on.
 * To reload them the pool keeps each loaded model's bytes. Liveness fails only
 * when a replacement cannot be started REPLACEMENT_ATTEMPTS times in a row.
 */
export class WorkerPoolEngine implements InferenceEngine {
  private readonly logger = new Logger('InferencePool');
  private workers: WorkerThreadHandle[] | undefined;
  private nextModelId = 1;
  private readonly models = new Map<number, { bytes: Uint8Array; label: string }>();
  private readonly replacing = new Set<Promise<void>>();
  private gaveUp: string | undefined;
  private closed = false;
  /** Workers replaced since start, for the logs and tests. */
  replacements = 0;

  constructor(
    private readonly settings: SessionSettings,
    private readonly size: number,
  ) {}

  async load(modelBytes: Uint8Array, label: string): Promise<PooledModel> {
    const workers = (this.workers ??= Array.from({ length: this.size }, (_, i) => this.startWorker(i)));
    const modelId = this.nextModelId++;
    const replies = await Promise.allSettled(
      workers.map((worker) => worker.request<Extract<WorkerReply, { op: 'loaded' }>>({ op: 'load', modelId, bytes: modelBytes, label })),
    );
    const failed = replies.find((reply) => reply.status === 'rejected');
    if (failed) {
      await Promise.allSettled(workers.map((worker) => worker.request({ op: 'release', modelId })));
      throw (failed as PromiseRejectedResult).reason;
    }
    this.models.set(modelId, { bytes: modelBytes, label });
    const first = (replies[0] as PromiseFulfilledResult<Extract<WorkerReply, { op: 'loaded' }>>).value;
    return new PooledModel(this, modelId, first.inputs, first.outputs, modelBytes.byteLength);
  }

  /** Each worker thread, once started (by the first load), with ONNX Runtime in it. */
  runtimeBytes(): number {
    return this.workers ? this.size * RUNTIME_BYTES_PER_WORKER : 0;
  }

  /** Why inference cannot run any more (no worker could be replaced), or undefined while it can. */
  failure(): string | undefined {
    return this.gaveUp;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.replacing]);
    const workers = this.workers ?? [];
    this.workers = undefined;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  /** How many workers run sessions (the batcher's parallelism). */
  get parallelism(): number {
    return this.size;
  }

  /** The least busy live worker; while every worker is being replaced, the first replacement to be ready. */
  async liveWorker(): Promise<WorkerThreadHandle> {
    for (;;) {
      let best: WorkerThreadHandle | undefined;
      for (const worker of this.workers ?? []) if (!worker.failure && (!best || worker.busy < best.busy)) best = worker;
      if (best) return best;
      if (this.gaveUp || this.closed || this.replacing.size === 0) {
        throw new DomainError('ENGINE_UNAVAILABLE', this.gaveUp ?? 'no inference worker is running');
      }
      await Promise.race(this.replacing);
    }
  }

  /** Every live worker, for releasing a model's sessions. */
  liveWorkers(): WorkerThreadHandle[] {
    return (this.workers ?? []).filter((worker) => !worker.failure);
  }

  forget(modelId: number): void {
    this.models.delete(modelId);
  }

  private startWorker(index: number): WorkerThreadHandle {
    return new WorkerThreadHandle(this.settings, index, (dead) => this.replace(dead, index));
  }

  private replace(dead: WorkerThreadHandle, index: number): void {
    // Only a worker in the pool is replaced: one that dies while being started as a replacement is retried below.
    if (this.closed || this.workers?.[index] !== dead) return;
    const replacing = this.startReplacement(index, dead.failure?.message ?? 'died').finally(() => this.replacing.delete(replacing));
    this.replacing.add(replacing);
  }

  private async startReplacement(index: number, cause: string): Promise<void> {
    this.logger.error(`${cause}; starting a replacement with ${this.models.size} session(s)`);
    let lastError = '';
    for (let attempt = 1; attempt <= REPLACEMENT_ATTEMPTS && !this.closed; attempt++) {
      const fresh = this.startWorker(index);
      try {
        for (const [modelId, { bytes, label }] of this.models) await fresh.request({ op: 'load', modelId, bytes, label });
        if (this.closed || !this.workers) {
          await fresh.terminate();
          return;
        }
        this.workers[index] = fresh;
        this.replacements++;
        this.logger.warn(`inference worker ${index} replaced (attempt ${attempt}); its sessions are loaded again`);
        return;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
        await fresh.terminate().catch(() => undefined);
      }
    }
    this.gaveUp ??= `${cause}, and ${REPLACEMENT_ATTEMPTS} replacements failed to start: ${lastError}`;
    this.logger.error(`${this.gaveUp}; liveness now fails so the process is restarted`);
  }
}

export class PooledModel implements LoadedModel {
  readonly parallelism: number;
  readonly placement: string;
  readonly residentBytes: number;

  constructor(
    private readonly pool: WorkerPoolEngine,
    private readonly modelId: number,
    readonly inputs: readonly TensorSpec[],
    readonly outputs: readonly TensorSpec[],
    /** The size of the model's file. */
    readonly modelBytes: number,
  ) {
    this.parallelism = pool.parallelism;
    this.residentBytes = residentBytesOf(modelBytes, { workerSessions: pool.parallelism, eventLoopSession: false });
    this.placement = `in ${pool.parallelism} worker thread${pool.parallelism === 1 ? '' : 's'}`;
  }

  async run(feeds: TensorMap, outputNames?: readonly string[]): Promise<TensorMap> {
    return (await this.runTimed(feeds, outputNames)).outputs;
  }

  /**
   * Runs, and says how long the inference itself took in the worker (µs). A
   * run whose worker died under it is retried once on a live worker (or its
   * replacement): the inputs are copied to the worker rather than moved, so
   * they are still here to send again (a memcpy per batch, a few µs).
   */
  async runTimed(feeds: TensorMap, outputNames?: readonly string[]): Promise<{ outputs: TensorMap; micros: number }> {
    try {
      return await this.runOnce(feeds, outputNames);
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'ENGINE_UNAVAILABLE')) throw error;
      return this.runOnce(feeds, outputNames);
    }
  }

  async release(): Promise<void> {
    this.pool.forget(this.modelId);
    await Promise.allSettled(this.pool.liveWorkers().map((worker) => worker.request({ op: 'release', modelId: this.modelId })));
  }

  private async runOnce(feeds: TensorMap, outputNames?: readonly string[]): Promise<{ outputs: TensorMap; micros: number }> {
    const worker = await this.pool.liveWorker();
    worker.busy++;
    try {
      return await worker.request<Extract<WorkerReply, { op: 'ran' }>>({ op: 'run', modelId: this.modelId, feeds, outputNames });
    } finally {
      worker.busy--;
    }
  }
}
