/**
 * How much memory one loaded model holds in this process, estimated from what
 * is known when it loads: the size of its file and where its sessions are.
 * MODEL_MEMORY_BUDGET_BYTES is enforced against these estimates (the process's
 * RSS cannot be split among models).
 *
 * Calibrated on the running service (one HTTP process, MODEL_LOADING=lazy):
 * 50 copies of the bundled iris (1.2 kB file) and digits (545 kB) models, each
 * loaded by one request of one row, and the process's RSS growth per copy
 * (Node 20, onnxruntime-node 1.30, x86-64; docs/model-repository.md#the-memory-estimate):
 * - on the event loop (INFERENCE_WORKERS=0): iris 0.19 MB, digits 1.65-1.83 MB,
 *   so one session is about 180 kB + 2.8 bytes per byte of the file;
 * - in 1 / 2 worker threads: iris 0.21 / 0.35 MB, digits 1.89 / 3.34 MB: a
 *   session per worker (the pool's copy of the file is within the noise);
 * - timed in the workers, then run on the event loop (HybridEngine, the default
 *   for both models): iris 0.33 MB, digits 2.98-3.55 MB with 1 or 2 workers:
 *   two sessions. The worker session the timing ran full batches in is
 *   released, but the allocator keeps about as much again.
 * Each estimate came within 15% of these. Not counted: what a session's arena
 * grows to when it runs larger batches (digits: about 5.5 MB more after a batch
 * of 32 images) and response caches (bounded by their own max_bytes).
 */
export const SESSION_BASE_BYTES = 180_000;

/**
 * What ONNX Runtime itself takes in a process from its first model on, whatever the models: its library's
 * pages, its allocators, and each worker thread started to run models. Measured as the RSS of one HTTP
 * process after the first requests to two iris versions, against the same process just ready (Node 20,
 * onnxruntime-node 1.30, x86-64): +25 MB with INFERENCE_WORKERS=0, +36 MB with 1 worker, +45 MB with 2.
 * It stays when every model is unloaded, and a budget must leave room for it.
 */
export const RUNTIME_BYTES_ON_EVENT_LOOP = 25_000_000;
export const RUNTIME_BYTES_PER_WORKER = 10_000_000;
export const SESSION_BYTES_PER_MODEL_BYTE = 2.8;

/** Where a model's sessions are, as the engine that loaded it knows. */
export interface SessionPlacement {
  /** Sessions in worker threads (one per worker), 0 for a model run on the event loop. */
  readonly workerSessions: number;
  /** A session on this process's event loop. */
  readonly eventLoopSession: boolean;
  /** Loaded and timed in the workers before it was placed on the event loop (HybridEngine). */
  readonly timedInWorkers?: boolean;
}

/** The estimate of one session of a model whose file has `modelBytes` bytes. */
export function sessionBytes(modelBytes: number): number {
  return Math.round(SESSION_BASE_BYTES + SESSION_BYTES_PER_MODEL_BYTE * modelBytes);
}

/**
 * The estimated resident bytes of one loaded model: a session per worker thread, plus one on the event
 * loop, plus one more for the released session of a model timed in the workers first.
 */
export function residentBytesOf(modelBytes: number, placement: SessionPlacement): number {
  const sessions = placement.workerSessions + (placement.eventLoopSession ? 1 : 0) + (placement.timedInWorkers ? 1 : 0);
  return sessions * sessionBytes(modelBytes);
}
