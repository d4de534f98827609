import type { TensorMap, TensorSpec } from './tensors';

/** Messages between the main thread (worker-pool) and an inference worker. */
export type WorkerRequest =
  | { op: 'load'; id: number; modelId: number; bytes: Uint8Array; label: string }
  | { op: 'run'; id: number; modelId: number; feeds: TensorMap; outputNames?: readonly string[] }
  | { op: 'release'; id: number; modelId: number };

/** A request before the pool numbers it. */
export type WorkerRequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

export type WorkerReply =
  | { op: 'loaded'; id: number; inputs: readonly TensorSpec[]; outputs: readonly TensorSpec[] }
  /** `micros`: how long the inference took in the worker, the hand-off excluded. */
  | { op: 'ran'; id: number; outputs: TensorMap; micros: number }
  | { op: 'released'; id: number }
  | { op: 'failed'; id: number; message: string };

/**
 * The buffers of a tensor map that can be moved rather than copied between
 * threads: only those a tensor owns whole. A view into a larger buffer (a
 * request body, Node's Buffer pool) is copied instead, since moving it would
 * detach memory other code still uses.
 */
export function transferablesOf(tensors: TensorMap): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const tensor of Object.values(tensors)) {
    const data = tensor.data;
    if (Array.isArray(data) || !(data.buffer instanceof ArrayBuffer)) continue;
    if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) buffers.add(data.buffer);
  }
  return [...buffers];
}
