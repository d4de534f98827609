import type { TensorMap, TensorSpec } from './tensors';

/**
 * Everything the rest of the service knows about running a model. Today one
 * in-process session per version stands behind it; a batcher and worker
 * threads can replace the implementation without touching any caller.
 */
export interface InferenceEngine {
  /** Compiles a model from its bytes; rejects with a readable reason when the bytes are not a usable model. */
  load(modelBytes: Uint8Array, label: string): Promise<LoadedModel>;
}

export interface LoadedModel {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** Runs one inference; `outputNames` limits and orders what is computed (all outputs when absent). */
  run(feeds: TensorMap, outputNames?: readonly string[]): Promise<TensorMap>;
  release(): Promise<void>;
}

export const INFERENCE_ENGINE = Symbol('INFERENCE_ENGINE');

export interface SessionSettings {
  intraOpThreads: number;
  interOpThreads: number;
}
