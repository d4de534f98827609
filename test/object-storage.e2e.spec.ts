import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TestS3Server } from './support/s3-server';
import { REPO_MODELS_DIR, removeDir, startTestApp } from './support/test-app';

// The service reading its models from a bucket of a real S3-compatible server (s3rver) through the
// real AWS SDK, configured as in production: MODEL_REPOSITORY=s3://... and AWS_ENDPOINT_URL_S3.

const IRIS = { instances: [[5.1, 3.5, 1.4, 0.2]] };
const WAIT = { timeout: 15_000, interval: 50 };
const ADMIN_TOKEN = 'object-storage-admin-token';
const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');
const bundled = (version: number, file: string) => path.join(REPO_MODELS_DIR, 'iris', String(version), file);

interface Listed {
  version: number;
  state: string;
  reason?: string;
}

/**
 * Starts the service on `s3://models/prod` of the server, polling every 100 ms. The settle time covers the
 * moments s3rver lists an object before its bytes are all written (S3 itself never does).
 */
async function startService(s3: TestS3Server, cacheDir: string, waitForModels = true): Promise<NestFastifyApplication> {
  for (const [name, value] of Object.entries(s3.env)) vi.stubEnv(name, value);
  const env = { MODEL_REPOSITORY: `s3://${s3.bucket}/prod`, MODEL_CACHE_DIR: cacheDir, MODEL_POLL_INTERVAL_MS: '100', MODEL_SETTLE_MS: '300', ADMIN_TOKEN };
  return startTestApp(env, { waitForModels });
}

async function publishIris(s3: TestS3Server, version: number, from = version): Promise<void> {
  await s3.putFile(`prod/iris/${version}/model.onnx`, bundled(from, 'model.onnx'));
  await s3.putFile(`prod/iris/${version}/manifest.json`, bundled(from, 'manifest.json'));
}

describe('models served from a bucket', () => {
  let s3: TestS3Server;
  let cacheDir: string;
  let app: NestFastifyApplication;

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });
  const predict = (version?: number) =>
    app.inject({ method: 'POST', url: '/v1/models/iris/predict', payload: IRIS, headers: version ? { 'x-model-version': String(version) } : {} });
  const versions = async (): Promise<Listed[]> => (await get('/v1/models')).json().models.find((m: { name: string }) => m.name === 'iris')?.versions ?? [];
  const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec((await get('/metrics')).body)?.[1]);

  beforeAll(async () => {
    s3 = await TestS3Server.start();
    cacheDir = await mkdtemp(path.join(tmpdir(), 'model-cache-'));
    await publishIris(s3, 1);
    await publishIris(s3, 2);
    await s3.putFile('prod/iris/config.json', path.join(REPO_MODELS_DIR, 'iris', 'config.json'));
    app = await startService(s3, cacheDir);
  });
  afterAll(async () => {
    await app?.close();
    vi.unstubAllEnvs();
    await s3?.close();
    await removeDir(cacheDir);
  });

  it('serves the versions in the bucket with their config, and is ready', async () => {
    expect(await versions()).toEqual([
      { version: 1, state: 'READY', sha256: await sha256(bundled(1, 'model.onnx')) },
      { version: 2, state: 'READY', sha256: await sha256(bundled(2, 'model.onnx')) },
    ]);
    const answer = await predict();
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['x-model-version']).toBe('1');
    expect(answer.json().predictions[0].label).toBe('setosa');
    expect((await get('/v1/models/iris', { 'x-model-version': '2' })).json().sha256).toBe(await sha256(bundled(2, 'model.onnx')));
    const ready = await get('/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().details.model_repository).toMatchObject({ status: 'up', repository: 's3://models/prod', readable: true });
    expect(await metric('model_repository_readable')).toBe(1);
    expect(await metric('model_repository_last_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it('loads a version published while it runs', async () => {
    await publishIris(s3, 3, 2);
    await vi.waitFor(async () => expect((await versions()).find((v) => v.version === 3)?.state).toBe('READY'), WAIT);
    expect((await predict(3)).statusCode).toBe(200);
  });

  it('reloads a version whose model file is replaced (a new ETag), and serves the new bytes', async () => {
    await s3.putFile('prod/iris/3/model.onnx', bundled(1, 'model.onnx'));
    const replaced = await sha256(bundled(1, 'model.onnx'));
    await vi.waitFor(async () => expect((await get('/v1/models/iris', { 'x-model-version': '3' })).json().sha256).toBe(replaced), WAIT);
  });

  it('keeps serving the previous files when a replacement arrives damaged, and fails a new damaged version alone', async () => {
    const before = (await get('/v1/models/iris', { 'x-model-version': '3' })).json().sha256;
    await s3.putFile('prod/iris/3/model.onnx', bundled(2, 'model.onnx'));
    const whole = await readFile(bundled(2, 'model.onnx'));
    await s3.damage('prod/iris/3/model.onnx', whole.subarray(0, whole.length - 100));
    await s3.putFile('prod/iris/4/model.onnx', bundled(2, 'model.onnx'));
    await s3.damage('prod/iris/4/model.onnx', whole.subarray(0, 1000));

    const damaged = /^s3:\/\/models\/prod\/iris\/\d\/model\.onnx: the MD5 of the bytes that arrived \([0-9a-f]{32}\) differs from its ETag \([0-9a-f]{32}\)/;
    await vi.waitFor(async () => {
      const listed = await versions();
      expect(listed.find((v) => v.version === 3)?.reason).toMatch(/^reload failed, still serving the previous files: s3:\/\/models\/prod\/iris\/3\/model\.onnx: the MD5/);
      expect(listed.find((v) => v.version === 4)).toMatchObject({ state: 'FAILED', reason: expect.stringMatching(damaged) });
    }, WAIT);
    expect((await versions()).find((v) => v.version === 3)?.state).toBe('READY');
    expect((await get('/v1/models/iris', { 'x-model-version': '3' })).json().sha256).toBe(before);
    expect((await predict(3)).statusCode).toBe(200);
    expect((await predict()).statusCode).toBe(200);
    expect((await get('/health/ready')).statusCode).toBe(200);
  });

  it('unloads a version removed from the bucket, and keeps only the current versions in its cache', async () => {
    for (const version of [3, 4]) {
      await s3.remove(`prod/iris/${version}/model.onnx`);
      await s3.remove(`prod/iris/${version}/manifest.json`);
    }
    await vi.waitFor(async () => expect((await versions()).map((v) => v.version)).toEqual([1, 2]), WAIT);
    expect((await predict(3)).statusCode).toBe(404);
    const cached = (await readdir(cacheDir, { recursive: true })).filter((file) => file.includes('~')).sort();
    expect(cached).toEqual([
      expect.stringMatching(/^iris\/1\/model\.onnx~[0-9a-f]{32}$/),
      expect.stringMatching(/^iris\/2\/model\.onnx~[0-9a-f]{32}$/),
    ]);
  });

  it('stays ready and serving while the endpoint is down, shows the outage, and catches up once it is back', async () => {
    await s3.stop();
    await vi.waitFor(async () => expect((await get('/health/ready')).json().details.model_repository.readable).toBe(false), WAIT);
    const ready = await get('/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().details.model_repository).toMatchObject({
      status: 'up',
      repository: 's3://models/prod',
      readable: false,
      failing_since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      error: expect.stringMatching(/ECONNREFUSED/),
    });
    expect(ready.json().details.model_repository.error).not.toMatch(/S3RVER/);
    expect((await predict()).statusCode).toBe(200);
    expect((await versions()).map((v) => v.state)).toEqual(['READY', 'READY']);
    expect(await metric('model_repository_readable')).toBe(0);
    // An operator asking for a rescan now is told why it cannot be done.
    const rescan = await app.inject({ method: 'POST', url: '/v1/admin/rescan', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(rescan.statusCode).toBe(503);
    expect(rescan.json()).toMatchObject({ code: 'REPOSITORY_UNAVAILABLE', message: expect.stringMatching(/^the model repository s3:\/\/models\/prod cannot be read: .*ECONNREFUSED/) });
    expect((await versions()).map((v) => v.state)).toEqual(['READY', 'READY']);

    await s3.start();
    await vi.waitFor(async () => expect(await metric('model_repository_readable')).toBe(1), WAIT);
    expect((await get('/health/ready')).json().details.model_repository).not.toHaveProperty('error');
    await publishIris(s3, 5, 2);
    await vi.waitFor(async () => expect((await versions()).find((v) => v.version === 5)?.state).toBe('READY'), WAIT);
  });
});

describe('a bucket that cannot be reached at start', () => {
  let s3: TestS3Server;
  let cacheDir: string;
  let app: NestFastifyApplication | undefined;

  beforeAll(async () => {
    s3 = await TestS3Server.start();
    cacheDir = await mkdtemp(path.join(tmpdir(), 'model-cache-'));
    await publishIris(s3, 1);
  });
  afterAll(async () => {
    await app?.close();
    vi.unstubAllEnvs();
    await s3?.close();
    await removeDir(cacheDir);
  });

  it('keeps the pod unready, naming the repository and the error, until the bucket answers', async () => {
    await s3.stop();
    app = await startService(s3, cacheDir, false);
    const get = (url: string) => app!.inject({ method: 'GET', url });

    await vi.waitFor(async () => expect((await get('/health/ready')).json().error?.model_registry?.message).toMatch(/cannot be read/), WAIT);
    const notReady = await get('/health/ready');
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json().error.model_registry.message).toMatch(/^the model repository s3:\/\/models\/prod cannot be read: .*ECONNREFUSED/);
    expect((await get('/v2/health/ready')).statusCode).toBe(400);

    await s3.start();
    await vi.waitFor(async () => expect((await get('/health/ready')).statusCode).toBe(200), WAIT);
    expect((await app.inject({ method: 'POST', url: '/v1/models/iris/predict', payload: IRIS })).statusCode).toBe(200);
  });
});
