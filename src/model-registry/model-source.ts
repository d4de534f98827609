import type { SkippedEntry, StoredModel, StoredVersion } from './model-store';

/**
 * A model repository as the registry reads it, wherever it lives: a local directory (ModelStore) or a
 * bucket of S3 or an S3-compatible store (S3ModelStore), laid out alike, `<name>/<version>/model.onnx`.
 * RepositorySync, VersionLifecycle and prepareVersion know only this.
 */
export interface ModelSource {
  /** The repository as logs name it: the directory, or `s3://bucket/prefix`. */
  readonly root: string;
  /** Every model with its versions (each with a fingerprint that changes with its files) and its config. */
  scan(): Promise<{ models: StoredModel[]; skipped: SkippedEntry[] }>;
  /** One version's model bytes and manifest; rejects with a reason that names the file and what is wrong. */
  readVersion(name: string, version: number): Promise<StoredVersion>;
}
