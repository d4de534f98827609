import type { TensorMap, TensorSpec } from './tensors';

/**
 * Everything the rest of the service knows about running a model. Behind it:
 * sessions in worker threads (worker-pool) or in this thread
 * (onnx-runtime.adapter), and a dynamic batcher in front of either.
 */
export interface InferenceEngine {
  /** Compiles a model from its bytes; rejects with a readable reason when the bytes are not a usable model. */
  load(modelBytes: Uint8Array, label: string, hints?: LoadHints): Promise<LoadedModel>;
  /** Stops whatever the engine started (worker threads). */
  close?(): Promise<void>;
  /** Why the engine can no longer run models (a worker thread died), if it cannot. */
  failure?(): string | undefined;
  /**
   * The estimated memory the engine itself holds, beside its models' sessions, once it has loaded one:
   * ONNX Runtime in each thread that runs models, and the worker threads started for them (resident-bytes.ts).
   */
  runtimeBytes?(): number;
}

/** What the engine may take into account when loading a model. */
export interface LoadHints {
  /** The most rows a batched inference of this model will carry. */
  maxBatchRows?: number;
  /** The sha256 of the model's bytes: the same bytes loaded again (after an unload) need not be timed again. */
  sha256?: string;
}

/** Where a batch ran, as the inference span's `inference.placement` says it: LoadedModel.placement is prose for the logs. */
export function placementKind(placement: string | undefined): 'worker' | 'inline' {
  // worker-pool.ts: "in N worker thread(s)"; the hybrid engine's and the plain adapter's models run on the event loop.
  return placement !== undefined && placement.includes('worker thread') ? 'worker' : 'inline';
}


export interface LoadedModel {
  /** Where its inferences run, for the logs (e.g. "in 2 worker threads"). */
  readonly placement?: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** How many inferences can run at the same time (sessions in separate threads). */
  readonly parallelism?: number;
  /** Estimated memory it holds in this process (resident-bytes.ts); absent when the engine cannot tell. */
  readonly residentBytes?: number;
  /** Runs one inference; `outputNames` limits and orders what is computed (all outputs when absent). */
  run(feeds: TensorMap, outputNames?: readonly string[], options?: RunOptions): Promise<TensorMap>;
  release(): Promise<void>;
}

/**
 * What the engine needs to know of the request a run serves (the request
 * context provides it): when to give up on queued work, and whom to tell
 * how long it waited and ran.
 */
export interface RunOptions {
  /** Epoch ms after which the caller no longer wants the answer: queued work past it is dropped. */
  readonly deadline?: number;
  /** True once the caller has gone (client disconnected): queued work is dropped. */
  readonly cancelled?: () => boolean;
  /** Told when the request leaves the batcher's queue: run in a batch, or dropped before it could run. */
  batched?(run: BatchedRun): void;
}

/** What the batcher knows about one request's run; times are performance.now() milliseconds. */
export interface BatchedRun {
  readonly enqueuedAt: number;
  /** When its batch started, or when it was dropped from the queue. */
  readonly startedAt: number;
  /** When its batch's inference ended; absent when the request was dropped before running. */
  readonly finishedAt?: number;
  /** Rows of this request, rows and requests of the batch it ran in. */
  readonly rows: number;
  readonly batchRows: number;
  readonly batchRequests: number;
  /** Where the inference ran (LoadedModel.placement). */
  readonly placement?: string;
  /** Why it was dropped from the queue, or why its batch failed. */
  readonly error?: string;
}

/** Why the caller no longer wants its answer (gone, or past its deadline), or undefined while it does. */
export function abandonedBecause(options: RunOptions | undefined): string | undefined {
  if (options?.cancelled?.()) return 'the client went away';
  if (options?.deadline !== undefined && Date.now() > options.deadline) return 'the request deadline passed';
  return undefined;
}

export const INFERENCE_ENGINE = Symbol('INFERENCE_ENGINE');

export interface SessionSettings {
  intraOpThreads: number;
  interOpThreads: number;
}

/** Receives what the batcher does, for metrics; one per model version. */
export interface BatchObserver {
  /** One inference ran: its rows, how long each request in it waited, and how long it ran. */
  onBatch(rows: number, queueSeconds: readonly number[], inferenceSeconds: number): void;
  onQueueDepth(depth: number): void;
}

/**
 * Hands out a BatchObserver per model version and drops a retired version's.
 * Declared here and provided by observability/ (its metrics), so the model
 * registry, which creates the batchers, depends only downward.
 */
export interface BatchObservers {
  observerFor(model: string, version: number): BatchObserver;
  forget(model: string, version: number): void;
}

export const BATCH_OBSERVERS = Symbol('BATCH_OBSERVERS');
