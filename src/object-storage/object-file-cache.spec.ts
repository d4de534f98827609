import { mkdtemp, readdir, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeDir } from '../../test/support/test-app';
import { ObjectCheckError } from './object-checks';
import { ObjectFileCache } from './object-file-cache';
import type { Downloaded, S3Bucket, StoredObject } from './s3-bucket';

// The cache's own rules (retries, time limit, what it removes) with a bucket whose answers the test
// decides; the real download path runs against s3rver in s3-model-store.spec.ts.

const OBJECT: StoredObject = { key: 'repo/m/1/model.onnx', etag: '0cc175b9c0f1b6a831c399e269772661', size: 1 }; // "a"

/** A bucket that fails with the given errors, one per transfer, then writes "a". */
function bucketFailing(...failures: unknown[]) {
  const bucket = {
    transfers: 0,
    uri: (key: string) => `s3://models/${key}`,
    async download(_object: StoredObject, file: string, signal: AbortSignal): Promise<Downloaded> {
      bucket.transfers++;
      const failure = failures.shift();
      if (failure === 'hang') await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      if (failure) throw failure;
      await writeFile(file, 'a');
      return { etagMayBeMd5: true };
    },
  };
  return bucket;
}

const networkError = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
const httpError = (status: number, name: string, message = name) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });

describe('ObjectFileCache', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'object-cache-'));
  });
  afterEach(async () => removeDir(dir));

  const cacheOf = (bucket: ReturnType<typeof bucketFailing>, timeoutMs = 10_000) =>
    new ObjectFileCache(dir, bucket as unknown as S3Bucket, { timeoutMs, attempts: 3, backoffMs: 1 });

  it('tries a transfer again after a broken connection or a 5xx, up to its attempts', async () => {
    const bucket = bucketFailing(networkError(), httpError(503, 'SlowDown'));
    expect(Buffer.from(await cacheOf(bucket).fetch(OBJECT, 'm/1/model.onnx')).toString()).toBe('a');
    expect(bucket.transfers).toBe(3);

    const failing = bucketFailing(networkError(), networkError(), networkError());
    await expect(cacheOf(failing).fetch(OBJECT, 'm/9/model.onnx')).rejects.toThrow(
      's3://models/repo/m/1/model.onnx could not be downloaded (3 attempt(s)): read ECONNRESET',
    );
  });

  it('does not try again what another transfer cannot fix: refused access, an object gone or changed, bytes not as listed', async () => {
    for (const [failure, message] of [
      [httpError(403, 'AccessDenied', 'Access Denied'), 'AccessDenied, HTTP 403: Access Denied'],
      [httpError(404, 'NoSuchKey'), 'it no longer exists; the next poll notices'],
      [httpError(412, 'PreconditionFailed'), 'it changed since it was listed (If-Match refused); the next poll reads the new one'],
    ] as const) {
      const bucket = bucketFailing(failure);
      await expect(cacheOf(bucket).fetch(OBJECT, 'm/1/model.onnx')).rejects.toThrow(`s3://models/repo/m/1/model.onnx could not be downloaded (1 attempt(s)): ${message}`);
      expect(bucket.transfers).toBe(1);
    }
    const damaged = bucketFailing(new ObjectCheckError('s3://models/repo/m/1/model.onnx: 0 bytes arrived, its listing says 1'));
    await expect(cacheOf(damaged).fetch(OBJECT, 'm/1/model.onnx')).rejects.toThrow(ObjectCheckError);
    expect(damaged.transfers).toBe(1);
  });

  it('names the cache, not the store, when the local disk refuses the file, and does not try again', async () => {
    const full = Object.assign(new Error(`ENOSPC: no space left on device, write '${dir}/m/1/x.partial'`), { code: 'ENOSPC', path: `${dir}/m/1/x.partial` });
    const bucket = bucketFailing(full);
    const failure = await cacheOf(bucket).fetch(OBJECT, 'm/1/model.onnx').catch((error: Error) => error);
    expect((failure as Error).message).toBe('s3://models/repo/m/1/model.onnx cannot be kept in MODEL_CACHE_DIR: ENOSPC');
    expect(bucket.transfers).toBe(1);
  });

  it('gives up at the download time limit, leaving no partial file', async () => {
    await expect(cacheOf(bucketFailing('hang'), 1000).fetch(OBJECT, 'm/1/model.onnx')).rejects.toThrow(
      's3://models/repo/m/1/model.onnx did not arrive within MODEL_DOWNLOAD_TIMEOUT_MS (1000 ms, 1 attempt(s))',
    );
    expect(await readdir(path.join(dir, 'm', '1'))).toEqual([]);
  });

  it('sweeps only its own files: those not kept, and partial ones left by a process that died', async () => {
    const cache = cacheOf(bucketFailing());
    await cache.fetch(OBJECT, 'm/1/model.onnx');
    await cache.fetch({ ...OBJECT, key: 'repo/m/2/model.onnx' }, 'm/2/model.onnx');
    const abandoned = path.join(dir, 'm', '1', `model.onnx~${OBJECT.etag}.123-0a1b.partial`);
    const running = path.join(dir, 'm', '2', `model.onnx~${OBJECT.etag}.456-0c2d.partial`);
    await writeFile(abandoned, 'a');
    await writeFile(running, 'a');
    await utimes(abandoned, new Date(0), new Date(0));
    await writeFile(path.join(dir, 'm', 'notes.txt'), 'an operator\'s file');

    await cache.sweep([{ name: 'm/1/model.onnx', etag: OBJECT.etag }]);

    const left = (await readdir(dir, { recursive: true })).sort();
    expect(left).toEqual(['m', 'm/1', `m/1/model.onnx~${OBJECT.etag}`, 'm/2', path.relative(dir, running), 'm/notes.txt'].sort());
  });
});
