import { BatchingModel, type BatchSettings } from '../inference/batcher';
import type { BatchObserver, InferenceEngine } from '../inference/engine-contracts';
import { ResponseCache } from '../inference/response-cache';
import { warmUp } from '../inference/warm-up';
import { checkManifestFitsModel } from './manifest-checks';
import { digestMismatch, type ExpectedDigest } from './model-digest';
import type { ModelSource } from './model-source';
import { ServingVersion } from './model-version';

/**
 * Reads one version from the repository, checks its model.onnx against the
 * sha256 config.json declares for it (if any), compiles it, checks that its
 * manifest fits the model and warms it up. Only a version that passed all of
 * this is returned; every failure says which step failed and why.
 */
export async function prepareVersion(
  store: ModelSource,
  engine: InferenceEngine,
  name: string,
  version: number,
  batching: BatchSettings,
  observer: BatchObserver,
  cacheBytes?: number,
  expected?: ExpectedDigest,
): Promise<ServingVersion> {
  const id = `${name}/${version}`;
  const stored = await store.readVersion(name, version);
  // Before compiling: bytes that are not the declared ones never reach onnxruntime.
  const mismatch = digestMismatch(name, version, stored.sha256, expected);
  if (mismatch) throw mismatch;
  const loaded = await engine.load(stored.bytes, id, { maxBatchRows: batching.enabled ? batching.maxBatchSize : 1, sha256: stored.sha256 });
  try {
    if (stored.manifest) {
      try {
        checkManifestFitsModel(stored.manifest, loaded.inputs, loaded.outputs);
      } catch (error) {
        throw new Error(`manifest does not fit the model: ${messageOf(error)}`);
      }
    }
    try {
      await warmUp(loaded);
    } catch (error) {
      throw new Error(`warm-up inference failed: ${messageOf(error)}`);
    }
  } catch (error) {
    await loaded.release().catch(() => undefined);
    throw error;
  }
  const cache = cacheBytes === undefined ? undefined : new ResponseCache(cacheBytes);
  return new ServingVersion(name, version, stored.manifest, new BatchingModel(loaded, batching, observer, id), stored.sha256, cache);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
