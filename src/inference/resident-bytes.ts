/**
 * How much memory one loaded model holds in this process, estimated from what
 * is known when it loads: the size of its file and where its sessions are.
 * MODEL_MEMORY_BUDGET_BYTES is enforced against these estimates (the process's
 * RSS cannot be split among models).
 *
 * Calibrated by loading 50 copies of the bundled iris (1.2 kB) and digits
 * (545 kB) models one after the other, each run once on one row as its first
 * request does, and reading the process's RSS growth per copy (Node 20,
 * onnxruntime-node 1.30, x86-64, docs/model-repository.md#the-memory-estimate):
 * one onnxruntime session took 157 kB + 2.36 bytes per byte of the file (iris
 * 157 kB, digits 1.44 MB), a session in each of 1 and 2 worker threads took
 * 0.18 / 0.25 MB (iris) and 2.0 / 3.2 MB (digits) with the pool's copy of the
 * file, and a model timed in the workers then run on the event loop took about
 * half a session per worker more than the event loop's session alone (iris
 * 0.24 MB, digits 2.5 MB with one worker): the sessions it was timed in are
 * released, but the allocator keeps part of what their full batches used.
 * Not counted: the memory a session's arena grows to when it runs larger batches
 * (digits: 5.5 MB more after a batch of 32 images) and response caches (bounded
 * by their own max_bytes).
 */
export const SESSION_BASE_BYTES = 160_000;
export const SESSION_BYTES_PER_MODEL_BYTE = 2.4;

/** Where a model's sessions are, as the engine that loaded it knows. */
export interface SessionPlacement {
  /** Sessions in worker threads (one per worker), 0 for a model run on the event loop. */
  readonly workerSessions: number;
  /** A session on this process's event loop. */
  readonly eventLoopSession: boolean;
  /** Workers it was loaded and timed in before it was placed on the event loop (HybridEngine), 0 otherwise. */
  readonly timedInWorkers?: number;
}

/** The estimate of one session of a model whose file has `modelBytes` bytes. */
export function sessionBytes(modelBytes: number): number {
  return Math.round(SESSION_BASE_BYTES + SESSION_BYTES_PER_MODEL_BYTE * modelBytes);
}

/**
 * The estimated resident bytes of one loaded model: a session per worker plus the pool's copy of the file
 * (kept to reload a replaced worker), or one session on the event loop plus half a session per worker it was
 * timed in.
 */
export function residentBytesOf(modelBytes: number, placement: SessionPlacement): number {
  const session = sessionBytes(modelBytes);
  const inWorkers = placement.workerSessions > 0 ? placement.workerSessions * session + modelBytes : 0;
  const onEventLoop = placement.eventLoopSession ? session + Math.round(((placement.timedInWorkers ?? 0) * session) / 2) : 0;
  return inWorkers + onEventLoop;
}
