import { createHash } from 'node:crypto';
import type { S3Repository } from '../config/model-repository-location';
import { checkObjectBytes, ObjectCheckError } from '../object-storage/object-checks';
import { ObjectFileCache } from '../object-storage/object-file-cache';
import { S3Bucket, type StoredObject } from '../object-storage/s3-bucket';
import { createS3Client, describeS3Error } from '../object-storage/s3-client';
import { parseManifest, type VersionManifest } from './manifest';
import { parseModelConfig, type ModelConfig } from './model-config';
import type { ModelSource } from './model-source';
import {
  MANIFEST_FILE,
  MAX_JSON_BYTES,
  MAX_MODEL_BYTES,
  MODEL_CONFIG_FILE,
  MODEL_FILE,
  MODEL_NAME_PATTERN,
  ModelStore,
  namingFile,
  parseJson,
  VERSION_PATTERN,
  type SkippedEntry,
  type StoredModel,
  type StoredVersion,
} from './model-store';
import { ManifestError } from './repository-json';
import { repositoryLayout, versionFingerprint, type ListedModel, type ListedVersion } from './s3-repository-layout';

/** Longest a listing of the whole repository (every page) or the read of one small file may take. */
const LIST_TIMEOUT_MS = 60_000;
/** config.json files read at once: a first scan of thousands of models would take minutes one by one. */
const CONFIG_READS_AT_ONCE = 16;

export interface S3ModelStoreOptions {
  /** Where model files are kept on local disk (MODEL_CACHE_DIR). */
  readonly cacheDir: string;
  /** Longest one model file may take to download (MODEL_DOWNLOAD_TIMEOUT_MS). */
  readonly downloadTimeoutMs: number;
  /** MODEL_CONFIG_DIR: model configs read from this local directory instead of the bucket. */
  readonly configDir?: string;
  /** Largest model.onnx downloaded; a larger one is refused from its listing, before any byte is fetched. */
  readonly maxModelBytes?: number;
}

type StoredConfig = Pick<StoredModel, 'configFile' | 'config' | 'configFingerprint'>;

/** The store of a bucket, its client configured by the SDK's standard settings (see createS3Client). */
export async function openS3ModelStore(location: S3Repository, options: S3ModelStoreOptions): Promise<S3ModelStore> {
  const bucket = new S3Bucket(await createS3Client(), location.bucket);
  return new S3ModelStore(location, bucket, options);
}

/**
 * The model repository in a bucket of S3 or an S3-compatible store, laid out as on disk under its
 * prefix. A scan lists the keys (ETags and sizes: the fingerprints) and downloads a config.json only
 * when its ETag changed, so a poll of thousands of models costs a few listing pages. A version's files
 * are downloaded when it loads, model.onnx through the local cache (checked against its listing, kept
 * by ETag), and the cached files of versions replaced or removed are deleted after the scan that saw it.
 */
export class S3ModelStore implements ModelSource {
  readonly root: string;
  private readonly cache: ObjectFileCache;
  private readonly configDir: ModelStore | undefined;
  private readonly maxModelBytes: number;
  /** The versions of the last listing, by `name/version`: what readVersion downloads. */
  private listed = new Map<string, ListedVersion>();
  /** Each model's config.json as last read, with the ETag it was read at. */
  private readonly configs = new Map<string, { etag: string; config: ModelConfig | Error }>();
  /** The model files the last listing names, as one string: the cache is swept when it changes. */
  private cachedFiles: string | undefined;

  constructor(
    private readonly location: S3Repository,
    private readonly bucket: S3Bucket,
    options: S3ModelStoreOptions,
  ) {
    this.root = location.uri;
    this.maxModelBytes = options.maxModelBytes ?? MAX_MODEL_BYTES;
    this.cache = new ObjectFileCache(options.cacheDir, bucket, { timeoutMs: options.downloadTimeoutMs });
    // A ModelStore with a config directory reads only that directory: the same rules as beside local models.
    this.configDir = options.configDir ? new ModelStore(options.configDir, options.configDir) : undefined;
  }

  async scan(): Promise<{ models: StoredModel[]; skipped: SkippedEntry[] }> {
    const objects = await this.bucket.list(this.location.prefix, AbortSignal.timeout(LIST_TIMEOUT_MS)).catch((error: unknown) => {
      throw new Error(describeS3Error(error));
    });
    const { models: listed, skipped } = repositoryLayout(objects, this.location.prefix);
    const configs = await inBatches(listed, CONFIG_READS_AT_ONCE, (model) => this.configOf(model));
    const models: StoredModel[] = listed.map((model, index) => ({
      name: model.name,
      versions: model.versions.map((version) => ({ version: version.version, fingerprint: versionFingerprint(version) })),
      ...configs[index],
    }));
    this.listed = new Map(listed.flatMap((model) => model.versions.map((version) => [`${model.name}/${version.version}`, version] as const)));
    const names = new Set(listed.map((model) => model.name));
    for (const name of this.configs.keys()) if (!names.has(name)) this.configs.delete(name);
    await this.sweepCache(listed);
    return { models, skipped };
  }

  async readVersion(name: string, version: number): Promise<StoredVersion> {
    // Looked up before anything is awaited: the listing of the scan that asked for this load.
    const known = this.listed.get(`${name}/${version}`);
    if (!MODEL_NAME_PATTERN.test(name)) throw new ManifestError(`invalid model name "${name}"`);
    if (!VERSION_PATTERN.test(String(version))) throw new ManifestError(`invalid version "${version}"`);
    const listed = known ?? (await this.listVersion(name, version));
    const modelKey = `${this.location.prefix}${name}/${version}/${MODEL_FILE}`;
    if (!listed?.model) throw new ManifestError(`${this.bucket.uri(modelKey)} does not exist`);
    if (listed.model.size > this.maxModelBytes) {
      throw new ManifestError(`${this.bucket.uri(modelKey)} is larger than ${this.maxModelBytes} bytes (${listed.model.size} listed); not downloaded`);
    }
    // The manifest first: small, and a broken one fails the version before a large download.
    const manifest = listed.manifest ? await this.readManifest(listed.manifest, `${name}/${version}/${MANIFEST_FILE}`) : undefined;
    const bytes = await this.cache.fetch(listed.model, `${name}/${version}/${MODEL_FILE}`);
    return { bytes, manifest, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  /** Closes the client's connections when the service stops. */
  onApplicationShutdown(): void {
    this.bucket.close();
  }

  private async configOf(model: ListedModel): Promise<StoredConfig> {
    if (this.configDir) return this.configDir.storedConfig(model.name);
    const configFile = `${model.name}/${MODEL_CONFIG_FILE}`;
    if (!model.config) return { configFile, config: parseModelConfig({}, configFile), configFingerprint: 'none' };
    const object = model.config;
    const known = this.configs.get(model.name);
    if (known?.etag === object.etag) return { configFile, config: known.config, configFingerprint: object.etag };
    let config: ModelConfig | Error;
    try {
      const text = await this.readText(object, configFile);
      config = namingFile(configFile, () => parseModelConfig(parseJson(text, configFile), configFile));
    } catch (error) {
      if (error instanceof ObjectCheckError) {
        // Not kept, and fingerprinted apart from the ETag: the next scan reads it again, and applies a good read.
        return { configFile, config: new ManifestError(error.message), configFingerprint: `${object.etag} (not as listed)` };
      }
      if (!(error instanceof ManifestError)) throw new Error(`${this.bucket.uri(object.key)} could not be read: ${describeS3Error(error)}`);
      config = error;
    }
    this.configs.set(model.name, { etag: object.etag, config });
    return { configFile, config, configFingerprint: object.etag };
  }

  private async readManifest(object: StoredObject, shown: string): Promise<VersionManifest> {
    let text: string;
    try {
      text = await this.readText(object, shown);
    } catch (error) {
      if (error instanceof ManifestError || error instanceof ObjectCheckError) throw error;
      throw new Error(`${this.bucket.uri(object.key)} could not be downloaded: ${describeS3Error(error)}`);
    }
    return namingFile(shown, () => parseManifest(parseJson(text, shown), shown));
  }

  /** A config or manifest's text: refused when larger than MAX_JSON_BYTES or not the bytes its listing promised. */
  private async readText(object: StoredObject, shown: string): Promise<string> {
    if (object.size > MAX_JSON_BYTES) throw new ManifestError(`${shown} is larger than ${MAX_JSON_BYTES} bytes`);
    const { bytes, etagMayBeMd5 } = await this.bucket.read(object, AbortSignal.timeout(LIST_TIMEOUT_MS));
    checkObjectBytes(bytes, object, this.bucket.uri(object.key), etagMayBeMd5);
    return Buffer.from(bytes).toString('utf8');
  }

  /** One version's files listed afresh, for a version the last scan did not see. */
  private async listVersion(name: string, version: number): Promise<ListedVersion | undefined> {
    const prefix = `${this.location.prefix}${name}/${version}/`;
    const objects = await this.bucket.list(prefix, AbortSignal.timeout(LIST_TIMEOUT_MS)).catch((error: unknown) => {
      throw new Error(`${this.bucket.uri(prefix)} could not be listed: ${describeS3Error(error)}`);
    });
    return repositoryLayout(objects, this.location.prefix).models[0]?.versions.find((listed) => listed.version === version);
  }

  /** Deletes the cached model files the listing no longer names, once each time what it names changes. */
  private async sweepCache(listed: readonly ListedModel[]): Promise<void> {
    const kept = listed.flatMap((model) =>
      model.versions.flatMap((version) => (version.model ? [{ name: `${model.name}/${version.version}/${MODEL_FILE}`, etag: version.model.etag }] : [])),
    );
    const files = kept.map(({ name, etag }) => `${name}~${etag}`).join('\n');
    if (files === this.cachedFiles) return;
    this.cachedFiles = files;
    await this.cache.sweep(kept);
  }
}

/** `work` on every item, `size` at a time, the results in the items' order. */
async function inBatches<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) results.push(...(await Promise.all(items.slice(start, start + size).map(work))));
  return results;
}
