import { createHash } from 'node:crypto';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { irisPrediction, irisProbabilities } from './support/iris';
import { REPO_MODELS_DIR, useTestApp } from './support/test-app';

// config.json may declare the sha256 each version's model.onnx must have: the wrong bytes (a file copied
// to the wrong folder, a corrupted upload) are refused and say so, and never cost the other models.

type Server = ReturnType<typeof useTestApp>;

const FLOWER = [5.1, 3.5, 1.4, 0.2];
const POLL = { MODEL_POLL_INTERVAL_MS: '50', MODEL_SETTLE_MS: '0' };

const sha256Of = async (version: number) =>
  createHash('sha256').update(await readFile(path.join(REPO_MODELS_DIR, 'iris', String(version), 'model.onnx'))).digest('hex');

const get = (server: Server, url: string, headers: Record<string, string> = {}) => server.app.inject({ method: 'GET', url, headers });
const predict = (server: Server, model: string, headers: Record<string, string> = {}) =>
  server.app.inject({
    method: 'POST',
    url: `/v1/models/${model}/predict`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify({ instances: [FLOWER] }),
  });
const modelOf = async (server: Server, name: string) =>
  (await get(server, '/v1/models')).json().models.find((model: { name: string }) => model.name === name);

/** `iris` declares its version 1's digest; `mixed-up`'s version 1 holds iris 1's bytes but declares iris 2's digest. */
async function matchingAndMismatching(modelsDir: string): Promise<void> {
  const [one, two] = [await sha256Of(1), await sha256Of(2)];
  await writeFile(path.join(modelsDir, 'iris', 'config.json'), JSON.stringify({ default_version: 1, versions: { '1': { sha256: one.toUpperCase() } } }));
  await cp(path.join(REPO_MODELS_DIR, 'iris', '1'), path.join(modelsDir, 'mixed-up', '1'), { recursive: true });
  await writeFile(path.join(modelsDir, 'mixed-up', 'config.json'), JSON.stringify({ default_version: 1, versions: { '1': { sha256: two } } }));
}

describe('model.onnx files checked against the sha256 their config.json declares', () => {
  const server = useTestApp({ models: ['iris'], prepare: matchingAndMismatching });

  it('lists the digest of every loaded version, and the declared one beside it', async () => {
    const [one, two] = [await sha256Of(1), await sha256Of(2)];
    expect((await modelOf(server, 'iris')).versions).toEqual([
      { version: 1, state: 'READY', sha256: one, declared_sha256: one },
      { version: 2, state: 'READY', sha256: two },
    ]);
    const metadata = await get(server, '/v1/models/iris', { 'x-model-version': '1' });
    expect(metadata.statusCode).toBe(200);
    expect(metadata.json()).toMatchObject({ model: 'iris', version: 1, sha256: one, declared_sha256: one });
    const undeclared = (await get(server, '/v1/models/iris', { 'x-model-version': '2' })).json();
    expect(undeclared.sha256).toBe(two);
    expect(undeclared).not.toHaveProperty('declared_sha256');
  });

  it('serves the version whose bytes match', async () => {
    const answer = await predict(server, 'iris');
    expect(answer.statusCode).toBe(200);
    const [row] = await irisProbabilities(1, [FLOWER]);
    expect(answer.json()).toMatchModelOutput({ model: 'iris', version: 1, predictions: [irisPrediction(row)] });
  });

  it('fails the version whose bytes do not match, naming both digests, and answers 404 for it as for any FAILED version', async () => {
    const [one, two] = [await sha256Of(1), await sha256Of(2)];
    const reason = `mixed-up/1/model.onnx sha256 is ${one}, but mixed-up/config.json declares ${two} for version 1`;
    expect((await modelOf(server, 'mixed-up')).versions).toEqual([{ version: 1, state: 'FAILED', reason, declared_sha256: two }]);
    const notServed = {
      statusCode: 404,
      code: 'VERSION_NOT_AVAILABLE',
      message: `model "mixed-up": default version is FAILED (${reason}); available versions: none`,
    };
    const metadata = await get(server, '/v1/models/mixed-up');
    expect(metadata.statusCode).toBe(404);
    expect(metadata.json()).toMatchObject(notServed);
    const prediction = await predict(server, 'mixed-up');
    expect(prediction.statusCode).toBe(404);
    expect(prediction.json()).toMatchObject(notServed);
    const v2 = await server.app.inject({
      method: 'POST',
      url: '/v2/models/mixed-up/infer',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: FLOWER }] }),
    });
    expect(v2.statusCode).toBe(404);
    expect(v2.json()).toEqual({ error: notServed.message });
  });

  it('documents both fields in the OpenAPI document', async () => {
    const schemas = (await get(server, '/docs-json')).json().components.schemas;
    for (const dto of ['VersionSummaryDto', 'ModelMetadataDto']) {
      expect(schemas[dto].properties.sha256, dto).toMatchObject({ type: 'string', description: expect.stringContaining('model.onnx') });
      expect(schemas[dto].properties.declared_sha256, dto).toMatchObject({ type: 'string', description: expect.stringContaining('config.json declares') });
    }
  });

  it('keeps the pod ready: a model that never loaded is not required', async () => {
    expect((await get(server, '/health/ready')).statusCode).toBe(200);
    const metrics = (await get(server, '/metrics')).body;
    expect(metrics).toMatch(/^model_version_ready\{model="mixed-up",version="1"\} 0$/m);
    expect(metrics).toMatch(/^model_version_ready\{model="iris",version="1"\} 1$/m);
  });
});

describe('a declared sha256 changed in config.json while the server runs', () => {
  const server = useTestApp({ models: ['iris'], env: POLL });

  it('stops serving a version its bytes no longer match, and serves it again once the declaration is fixed', async () => {
    const file = path.join(server.modelsDir, 'iris', 'config.json');
    const [one, two] = [await sha256Of(1), await sha256Of(2)];
    const version2 = { 'x-model-version': '2' };
    await writeFile(file, JSON.stringify({ default_version: 1, versions: { '2': { sha256: one } } }));
    const reason = `iris/2/model.onnx sha256 is ${two}, but iris/config.json declares ${one} for version 2`;
    await vi.waitFor(async () => expect((await modelOf(server, 'iris')).versions[1]).toEqual({ version: 2, state: 'FAILED', reason, declared_sha256: one }), {
      timeout: 5000,
    });
    expect(await predict(server, 'iris', version2)).toMatchObject({ statusCode: 404 });
    expect((await predict(server, 'iris', version2)).json().message).toBe(
      `model "iris": version 2 is FAILED (${reason}); available versions: 1`,
    );
    // Version 1, the default, still serves, and the pod stays ready.
    expect((await predict(server, 'iris')).statusCode).toBe(200);
    expect((await get(server, '/health/ready')).statusCode).toBe(200);

    await writeFile(file, JSON.stringify({ default_version: 1, labels: { stable: 1, canary: 2 }, versions: { '2': { sha256: two } } }));
    await vi.waitFor(async () => expect((await predict(server, 'iris', version2)).statusCode).toBe(200), { timeout: 10_000 });
    expect((await modelOf(server, 'iris')).versions[1]).toEqual({ version: 2, state: 'READY', sha256: two, declared_sha256: two });
  });

  it('leaves the manifest out of the check: only model.onnx is hashed', async () => {
    const file = path.join(server.modelsDir, 'iris', 'config.json');
    await writeFile(file, JSON.stringify({ default_version: 1, versions: { '1': { sha256: await sha256Of(1) } } }));
    await rm(path.join(server.modelsDir, 'iris', '1', 'manifest.json'));
    await vi.waitFor(async () => expect((await get(server, '/v1/models/iris')).json()).not.toHaveProperty('features'), { timeout: 5000 });
    expect((await modelOf(server, 'iris')).versions[0]).toMatchObject({ state: 'READY', declared_sha256: await sha256Of(1) });
  });
});
