import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DomainError } from '../common/domain-error';
import type { InferenceEngine, LoadedModel, SessionSettings } from './inference-engine';
import type { TensorMap, TensorSpec } from './tensors';
import { transferablesOf, type WorkerReply, type WorkerRequestBody } from './worker-protocol';

/**
 * The worker script. Compiled code runs it from beside this file; when the
 * service runs from TypeScript sources (tests), the compiled copy in dist/ is
 * used, which the test setup builds first.
 */
function workerScript(): string {
  const beside = path.join(__dirname, 'inference-worker.js');
  if (existsSync(beside)) return beside;
  const compiled = path.resolve(__dirname, '../../dist/inference/inference-worker.js');
  if (existsSync(compiled)) return compiled;
  throw new Error(`inference worker script not found (${beside}); run "npm run build" first`);
}

interface Pending {
  resolve: (reply: WorkerReply) => void;
  reject: (error: Error) => void;
}

/** One worker thread and the requests it has not answered yet. */
class InferenceWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  failure: Error | undefined;
  /** Runs sent and not answered, used to pick the least busy worker. */
  busy = 0;

  constructor(settings: SessionSettings, index: number) {
    this.worker = new Worker(workerScript(), { workerData: settings, name: `inference-${index}` });
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => {
      const pending = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.op === 'failed') pending?.reject(new Error(reply.message));
      else pending?.resolve(reply);
    });
    const fail = (cause: Error) => {
      // A service-side fault, not the request's: 503 so clients retry elsewhere, and liveness reports it.
      const error = new DomainError('ENGINE_UNAVAILABLE', cause.message);
      this.failure ??= error;
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
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
 * cores at once. Each run goes to the least busy worker.
 */
export class WorkerPoolEngine implements InferenceEngine {
  private workers: InferenceWorker[] | undefined;
  private nextModelId = 1;

  constructor(
    private readonly settings: SessionSettings,
    private readonly size: number,
  ) {}

  async load(modelBytes: Uint8Array, label: string): Promise<PooledModel> {
    this.workers ??= Array.from({ length: this.size }, (_, i) => new InferenceWorker(this.settings, i));
    const modelId = this.nextModelId++;
    const replies = await Promise.allSettled(
      this.workers.map((worker) => worker.request<Extract<WorkerReply, { op: 'loaded' }>>({ op: 'load', modelId, bytes: modelBytes, label })),
    );
    const failed = replies.find((reply) => reply.status === 'rejected');
    if (failed) {
      await Promise.allSettled(this.workers.map((worker) => worker.request({ op: 'release', modelId })));
      throw (failed as PromiseRejectedResult).reason;
    }
    const first = (replies[0] as PromiseFulfilledResult<Extract<WorkerReply, { op: 'loaded' }>>).value;
    return new PooledModel(this.workers, modelId, first.inputs, first.outputs);
  }

  /** Why inference cannot run any more (a worker thread died), or undefined while all workers live. */
  failure(): string | undefined {
    return this.workers?.find((worker) => worker.failure)?.failure?.message;
  }

  async close(): Promise<void> {
    const workers = this.workers ?? [];
    this.workers = undefined;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

export class PooledModel implements LoadedModel {
  readonly parallelism: number;
  readonly placement: string;

  constructor(
    private readonly workers: readonly InferenceWorker[],
    private readonly modelId: number,
    readonly inputs: readonly TensorSpec[],
    readonly outputs: readonly TensorSpec[],
  ) {
    this.parallelism = workers.length;
    this.placement = `in ${workers.length} worker thread${workers.length === 1 ? '' : 's'}`;
  }

  async run(feeds: TensorMap, outputNames?: readonly string[]): Promise<TensorMap> {
    return (await this.runTimed(feeds, outputNames)).outputs;
  }

  /** Runs, and says how long the inference itself took in the worker (µs). */
  async runTimed(feeds: TensorMap, outputNames?: readonly string[]): Promise<{ outputs: TensorMap; micros: number }> {
    let worker = this.workers[0];
    for (const candidate of this.workers) if (candidate.busy < worker.busy) worker = candidate;
    worker.busy++;
    try {
      return await worker.request<Extract<WorkerReply, { op: 'ran' }>>(
        { op: 'run', modelId: this.modelId, feeds, outputNames },
        transferablesOf(feeds),
      );
    } finally {
      worker.busy--;
    }
  }

  async release(): Promise<void> {
    await Promise.allSettled(this.workers.map((worker) => worker.request({ op: 'release', modelId: this.modelId })));
  }
}
