import { createHash, randomUUID } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkObjectBytes, ObjectCheckError } from './object-checks';
import type { S3Bucket, StoredObject } from './s3-bucket';
import { describeS3Error } from './s3-client';

export interface ObjectFileCacheOptions {
  /** Longest one object may take to arrive, every attempt and pause included (MODEL_DOWNLOAD_TIMEOUT_MS). */
  readonly timeoutMs: number;
  /**
   * Transfers per object. The SDK already retries each request that fails before its answer starts (3
   * attempts by default, AWS_MAX_ATTEMPTS); these also cover a transfer cut midway.
   */
  readonly attempts?: number;
  /** Pause before the second transfer, doubled before each next one. */
  readonly backoffMs?: number;
}

/** Names of the files this cache writes, `<name>~<etag>` and `<name>~<etag>.<pid>-<uuid>.partial`: nothing else is ever removed. */
const CACHE_FILE = /~[A-Za-z0-9-]+(\.\d+-[0-9a-f-]+\.partial)?$/;
const PARTIAL = /\.partial$/;
const NAME_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const SAFE_ETAG = /^[A-Za-z0-9-]{1,80}$/;

/**
 * Objects of one bucket kept as local files, named by their ETag, so the same object is downloaded once
 * per pod, not once per load or per HTTP process. A download goes to a file of its own in the same
 * directory and is renamed only once its size and MD5 are checked: no process ever reads a partial file,
 * and two processes fetching the same object at once each write their own and the last rename wins.
 */
export class ObjectFileCache {
  private readonly attempts: number;
  private readonly backoffMs: number;

  constructor(
    readonly dir: string,
    private readonly bucket: S3Bucket,
    private readonly options: ObjectFileCacheOptions,
  ) {
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.backoffMs = options.backoffMs ?? 1000;
  }

  /**
   * The object's bytes: the cached file when one of this name and ETag has the listed size, else
   * downloaded and checked. Rejects naming the object and what went wrong.
   * @param name where in the cache it is kept, e.g. `iris/3/model.onnx`
   */
  async fetch(object: StoredObject, name: string): Promise<Uint8Array> {
    const file = this.fileOf(name, object.etag);
    const cached = await readFile(file).catch(() => undefined);
    if (cached?.length === object.size) return asUint8Array(cached);
    return this.download(object, file);
  }

  /**
   * Removes the cached files of objects not in `kept` (versions replaced or removed from the repository),
   * and downloads left behind by a process that died; best effort, never throws.
   */
  async sweep(kept: Iterable<{ name: string; etag: string }>): Promise<void> {
    const keep = new Set([...kept].map(({ name, etag }) => this.fileOf(name, etag)));
    // A partial file this old belongs to no download still running: each is cut at timeoutMs.
    await this.sweepDir(this.dir, keep, Date.now() - 2 * this.options.timeoutMs);
  }

  private async download(object: StoredObject, file: string): Promise<Uint8Array> {
    const shown = this.bucket.uri(object.key);
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    await mkdir(path.dirname(file), { recursive: true }).catch((error: unknown) => {
      throw new Error(`${shown} cannot be kept in MODEL_CACHE_DIR: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    });
    for (let attempt = 1; ; attempt++) {
      const partial = `${file}.${process.pid}-${randomUUID()}.partial`;
      try {
        const { etagMayBeMd5 } = await this.bucket.download(object, partial, signal);
        const bytes = await readFile(partial);
        checkObjectBytes(bytes, object, shown, etagMayBeMd5);
        // Read before the rename: once renamed, another process sweeping the cache may remove it.
        await rename(partial, file);
        return asUint8Array(bytes);
      } catch (error) {
        await rm(partial, { force: true });
        if (signal.aborted) {
          throw new Error(`${shown} did not arrive within MODEL_DOWNLOAD_TIMEOUT_MS (${this.options.timeoutMs} ms, ${attempt} attempt(s))`);
        }
        if (error instanceof ObjectCheckError) throw error;
        // The local disk, not the store (full, read-only): another transfer would fail alike. Its path stays out of the reason.
        if ((error as NodeJS.ErrnoException).path !== undefined) {
          throw new Error(`${shown} cannot be kept in MODEL_CACHE_DIR: ${(error as NodeJS.ErrnoException).code ?? 'a file error'}`);
        }
        if (!worthRetrying(error) || attempt >= this.attempts) {
          throw new Error(`${shown} could not be downloaded (${attempt} attempt(s)): ${describeDownloadFailure(error)}`);
        }
        await sleep(this.backoffMs * 2 ** (attempt - 1), undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private fileOf(name: string, etag: string): string {
    const segments = name.split('/');
    if (!segments.every((segment) => NAME_SEGMENT.test(segment))) throw new Error(`not a name for the object cache: "${name}"`);
    const tag = SAFE_ETAG.test(etag) ? etag : createHash('sha256').update(etag).digest('hex').slice(0, 32);
    return `${path.join(this.dir, ...segments)}~${tag}`;
  }

  private async sweepDir(dir: string, keep: ReadonlySet<string>, abandonedBefore: number): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        await this.sweepDir(full, keep, abandonedBefore);
        await rmdir(full).catch(() => undefined); // only when empty
      } else if (CACHE_FILE.test(entry.name) && !keep.has(full)) {
        const abandoned = !PARTIAL.test(entry.name) || (await stat(full).then((info) => info.mtimeMs < abandonedBefore, () => false));
        if (abandoned) await rm(full, { force: true }).catch(() => undefined);
      }
    }
  }
}

/** Worth another transfer: the connection failed or broke, or the store had a moment (5xx, throttling). */
function worthRetrying(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === undefined || status >= 500 || status === 429;
}

function describeDownloadFailure(error: unknown): string {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status === 412) return 'it changed since it was listed (If-Match refused); the next poll reads the new one';
  if (status === 404) return 'it no longer exists; the next poll notices';
  return describeS3Error(error);
}

/** A plain Uint8Array over a Buffer's bytes (no copy), as the store hands model bytes to the engine. */
function asUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
