import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { TestS3Server } from '../../test/support/s3-server';
import { removeDir } from '../../test/support/test-app';
import { parseModelRepository, type S3Repository } from '../config/model-repository-location';
import { S3Bucket } from '../object-storage/s3-bucket';
import { createS3Client } from '../object-storage/s3-client';
import { S3ModelStore, type S3ModelStoreOptions } from './s3-model-store';

// The S3 store against a real S3-compatible server (s3rver) through the real AWS SDK.

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** Every file under a directory, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name))).sort();
}

describe('S3ModelStore', () => {
  let s3: TestS3Server;
  let cacheDir: string;
  const stores: S3ModelStore[] = [];

  beforeAll(async () => {
    s3 = await TestS3Server.start();
  });
  afterAll(async () => s3.close());

  beforeEach(async () => {
    for (const [name, value] of Object.entries(s3.env)) vi.stubEnv(name, value);
    cacheDir = await mkdtemp(path.join(tmpdir(), 'model-cache-'));
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) store.onApplicationShutdown();
    vi.unstubAllEnvs();
    await removeDir(cacheDir);
    if (!s3.running) await s3.start();
  });

  /** A store of a fresh prefix of the bucket, listing `pageSize` keys per request. */
  async function storeOf(prefix: string, options: Partial<S3ModelStoreOptions> = {}, pageSize?: number): Promise<S3ModelStore> {
    const location = parseModelRepository(`s3://${s3.bucket}/${prefix}`) as S3Repository;
    const store = new S3ModelStore(location, new S3Bucket(await createS3Client(), s3.bucket, pageSize), {
      cacheDir,
      downloadTimeoutMs: 30_000,
      ...options,
    });
    stores.push(store);
    return store;
  }

  it('reads the layout under its prefix over several listing pages, fingerprinting versions by their ETags', async () => {
    await s3.put('layout/iris/1/model.onnx', 'iris one');
    await s3.put('layout/iris/2/model.onnx', 'iris two');
    await s3.put('layout/iris/2/manifest.json', '{"task": "classification"}');
    await s3.put('layout/iris/config.json', '{"default_version": 1}');
    await s3.put('layout/iris/10/model.onnx', 'iris ten');
    await s3.put('layout/digits/1/model.onnx', 'digits');
    await s3.put('layout/digits/latest/model.onnx', 'not a version');
    await s3.put('layout/bad name/1/model.onnx', 'x');
    await s3.put('layout/README.md', 'a file beside the models');
    await s3.put('elsewhere/other/1/model.onnx', 'outside the prefix');

    const { models, skipped } = await (await storeOf('layout', {}, 2)).scan();

    expect(models.map((model) => model.name)).toEqual(['digits', 'iris']);
    const iris = models[1];
    expect(iris.versions).toEqual([
      { version: 1, fingerprint: `${md5('iris one')}|none` },
      { version: 2, fingerprint: `${md5('iris two')}|${md5('{"task": "classification"}')}` },
      { version: 10, fingerprint: `${md5('iris ten')}|none` },
    ]);
    expect(iris.config).toMatchObject({ default_version: 1 });
    expect(iris.configFile).toBe('iris/config.json');
    expect(iris.configFingerprint).toBe(md5('{"default_version": 1}'));
    expect(models[0].configFingerprint).toBe('none');
    expect(skipped).toEqual(
      expect.arrayContaining([
        { entry: 'bad name', reason: 'not a valid model name' },
        { entry: 'digits/latest', reason: 'a version folder must be a positive integer' },
      ]),
    );
  });

  it('downloads a version with its manifest, the model through a temporary file into the cache, named by its ETag', async () => {
    await s3.put('download/m/1/model.onnx', 'model bytes');
    await s3.put('download/m/1/manifest.json', '{"task": "generic"}');
    const store = await storeOf('download');
    await store.scan();

    const version = await store.readVersion('m', 1);
    expect(Buffer.from(version.bytes).toString()).toBe('model bytes');
    expect(version.sha256).toBe(createHash('sha256').update('model bytes').digest('hex'));
    expect(version.manifest).toMatchObject({ task: 'generic' });
    expect(await filesUnder(cacheDir)).toEqual([`m/1/model.onnx~${md5('model bytes')}`]);
  });

  it('re-uses a cached model file of the same ETag, as another HTTP process of the pod does', async () => {
    await s3.put('cached/m/1/model.onnx', 'model bytes');
    const first = await storeOf('cached');
    await first.scan();
    await first.readVersion('m', 1);

    const sibling = await storeOf('cached');
    await sibling.scan();
    await writeFile(path.join(cacheDir, 'unrelated.txt'), 'not the cache');
    await s3.stop();
    // The endpoint is gone: the bytes can only come from the cache.
    expect(Buffer.from((await sibling.readVersion('m', 1)).bytes).toString()).toBe('model bytes');
    expect(await readFile(path.join(cacheDir, 'unrelated.txt'), 'utf8')).toBe('not the cache');
  });

  it('refuses an object whose bytes do not match its ETag, keeping nothing of it in the cache', async () => {
    await s3.put('damaged/m/1/model.onnx', 'the whole model');
    await s3.damage('damaged/m/1/model.onnx', new TextEncoder().encode('the whole'));
    const store = await storeOf('damaged');
    await store.scan();

    await expect(store.readVersion('m', 1)).rejects.toThrow(
      `s3://models/damaged/m/1/model.onnx: the MD5 of the bytes that arrived (${md5('the whole')}) differs from its ETag (${md5('the whole model')}): corrupt in the store or on the way`,
    );
    expect(await filesUnder(cacheDir)).toEqual([]);
  });

  it('refuses an object that changed between the listing and the download', async () => {
    await s3.put('changed/m/1/model.onnx', 'first');
    const store = await storeOf('changed');
    await store.scan();
    await s3.put('changed/m/1/model.onnx', 'second, longer');

    await expect(store.readVersion('m', 1)).rejects.toThrow(/^s3:\/\/models\/changed\/m\/1\/model\.onnx changed since it was listed/);
    await store.scan();
    expect(Buffer.from((await store.readVersion('m', 1)).bytes).toString()).toBe('second, longer');
  });

  it('refuses a model larger than the limit from its listing, before downloading it', async () => {
    await s3.put('large/m/1/model.onnx', 'eleven bytes');
    const store = await storeOf('large', { maxModelBytes: 10 });
    await store.scan();
    await s3.stop();
    // The endpoint is gone: a download would fail otherwise.
    await expect(store.readVersion('m', 1)).rejects.toThrow('s3://models/large/m/1/model.onnx is larger than 10 bytes (12 listed); not downloaded');
  });

  it('names a version without model.onnx', async () => {
    await s3.put('missing/m/1/manifest.json', '{}');
    const store = await storeOf('missing');
    expect((await store.scan()).models[0].versions).toEqual([{ version: 1, fingerprint: `none|${md5('{}')}` }]);
    await expect(store.readVersion('m', 1)).rejects.toThrow('s3://models/missing/m/1/model.onnx does not exist');
  });

  it('downloads config.json only when its ETag changes', async () => {
    await s3.put('config/m/1/model.onnx', 'x');
    await s3.put('config/m/config.json', '{"default_version": 1}');
    const store = await storeOf('config');
    expect((await store.scan()).models[0].config).toMatchObject({ default_version: 1 });

    // Damaged behind the server's back, its ETag unchanged: not downloaded again, so the good config stands.
    await s3.damage('config/m/config.json', new TextEncoder().encode('{"default_version": 9}'));
    expect((await store.scan()).models[0].config).toMatchObject({ default_version: 1 });

    await s3.put('config/m/config.json', '{"default_version": 1,}');
    const [model] = (await store.scan()).models;
    expect(model.config).toBeInstanceOf(Error);
    expect((model.config as Error).message).toBe('m/config.json is not valid JSON (at character 22)');
    expect(model.configFingerprint).toBe(md5('{"default_version": 1,}'));
  });

  it('reads model configs from MODEL_CONFIG_DIR when one is set', async () => {
    const configDir = await mkdtemp(path.join(tmpdir(), 'model-config-'));
    try {
      await writeFile(path.join(configDir, 'm.json'), '{"labels": {"stable": 1}}');
      await s3.put('configdir/m/1/model.onnx', 'x');
      await s3.put('configdir/m/config.json', '{"labels": {"stable": 2}}');
      const [model] = (await (await storeOf('configdir', { configDir })).scan()).models;
      expect(model.configFile).toBe('MODEL_CONFIG_DIR/m.json');
      expect(model.config).toMatchObject({ labels: { stable: 1 } });
    } finally {
      await removeDir(configDir);
    }
  });

  it('removes the cached files of versions replaced or removed', async () => {
    await s3.put('sweep/m/1/model.onnx', 'one');
    await s3.put('sweep/m/2/model.onnx', 'two');
    const store = await storeOf('sweep');
    await store.scan();
    await store.readVersion('m', 1);
    await store.readVersion('m', 2);
    expect(await filesUnder(cacheDir)).toEqual([`m/1/model.onnx~${md5('one')}`, `m/2/model.onnx~${md5('two')}`]);

    await s3.put('sweep/m/1/model.onnx', 'one, replaced');
    await s3.remove('sweep/m/2/model.onnx');
    await store.scan();
    expect(await filesUnder(cacheDir)).toEqual([]);
    await store.readVersion('m', 1);
    expect(await filesUnder(cacheDir)).toEqual([`m/1/model.onnx~${md5('one, replaced')}`]);
  });

  it('lets two processes download the same object at once', async () => {
    await s3.put('twice/m/1/model.onnx', 'shared');
    const [first, second] = [await storeOf('twice'), await storeOf('twice')];
    await Promise.all([first.scan(), second.scan()]);
    const versions = await Promise.all([first.readVersion('m', 1), second.readVersion('m', 1)]);
    expect(versions.map((version) => Buffer.from(version.bytes).toString())).toEqual(['shared', 'shared']);
    expect(await filesUnder(cacheDir)).toEqual([`m/1/model.onnx~${md5('shared')}`]);
  });

  it('fails a scan naming the error when the endpoint cannot be reached', async () => {
    const store = await storeOf('unreachable');
    await s3.stop();
    await expect(store.scan()).rejects.toThrow(/ECONNREFUSED/);
  });
});
