import type { LoadedModel } from '../../src/inference/engine-contracts';
import type { DataType, Tensor, TensorData, TensorSpec } from '../../src/inference/tensors';
import { ImagePreprocessing, VersionManifest } from '../../src/model-registry/manifest';
import type { ReadyVersion } from '../../src/model-registry/model-version';

/** A model input or output as the engine describes it; `null` is a dynamic dimension. */
export function tensorSpec(name: string, type: DataType, dims: readonly (number | null)[]): TensorSpec {
  return { name, type, dims };
}

/** A manifest as parseManifest would build it: the class's defaults (task generic, scores probabilities), then `fields`. */
export function manifestWith(fields: Partial<VersionManifest>): VersionManifest {
  return Object.assign(new VersionManifest(), fields);
}

export function imagePreprocessing(fields: Pick<ImagePreprocessing, 'color' | 'width' | 'height'> & Partial<ImagePreprocessing>): ImagePreprocessing {
  return Object.assign(new ImagePreprocessing(), { layout: 'NCHW' }, fields);
}

/**
 * A READY version built by hand, for the pure functions of /v1 that only read
 * its name, inputs, outputs and manifest: it has no session and refuses to run.
 */
export function readyVersion(options: {
  inputs: readonly TensorSpec[];
  outputs?: readonly TensorSpec[];
  manifest?: VersionManifest;
  name?: string;
}): ReadyVersion {
  const model: LoadedModel = {
    inputs: options.inputs,
    outputs: options.outputs ?? [],
    run: () => Promise.reject(new Error('a hand-built ReadyVersion has no session')),
    release: () => Promise.resolve(),
  };
  return {
    name: options.name ?? 'm',
    version: 1,
    manifest: options.manifest,
    model,
    sha256: '0'.repeat(64),
    enter: () => undefined,
    leave: () => undefined,
  };
}

export function tensor(type: DataType, dims: readonly number[], data: TensorData): Tensor {
  return { type, dims, data };
}
