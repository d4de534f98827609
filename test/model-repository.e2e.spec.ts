import { cp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_MODELS_DIR, useTestApp } from './support/test-app';

const TOKEN = 'test-admin-token-0123456789';
const IRIS = { instances: [[5.1, 3.5, 1.4, 0.2]] };

describe('the Open Inference Protocol model repository extension (/v2/repository), lazy loading', () => {
  const server = useTestApp({
    prepare: async (modelsDir) => {
      await cp(path.join(REPO_MODELS_DIR, 'iris'), path.join(modelsDir, 'required'), { recursive: true });
      await cp(path.join(REPO_MODELS_DIR, 'iris'), path.join(modelsDir, 'cold'), { recursive: true });
      await rm(path.join(modelsDir, 'cold', 'config.json'));
      await cp(path.join(REPO_MODELS_DIR, 'iris', '1'), path.join(modelsDir, 'broken', '1'), { recursive: true });
      await writeFile(path.join(modelsDir, 'broken', '1', 'model.onnx'), 'not a model');
    },
    env: { MODEL_LOADING: 'lazy', REQUIRED_MODELS: 'required', ADMIN_TOKEN: TOKEN, MODEL_POLL_INTERVAL_MS: '0', HTTP_PROCESSES: '1' },
  });
  const post = (url: string, payload?: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    server.app.inject({ method: 'POST', url, headers, ...(payload === undefined ? {} : { payload }) });
  const index = async (payload?: string) => (await post('/v2/repository/index', payload)).json() as { name: string; version: string; state: string; reason: string }[];
  const predict = (name: string) =>
    server.app.inject({ method: 'POST', url: `/v1/models/${name}/predict`, headers: { 'content-type': 'application/json' }, payload: IRIS });

  it('needs the admin token, and answers refusals as the protocol does ({"error": ...})', async () => {
    const none = await post('/v2/repository/index', undefined, {});
    expect(none.statusCode).toBe(401);
    expect(none.json()).toEqual({ error: 'admin API: send Authorization: Bearer <ADMIN_TOKEN>' });
    expect((await post('/v2/repository/index', undefined, { authorization: 'Bearer not-the-token-at-all' })).statusCode).toBe(403);
  });

  it('indexes every version with its state, AVAILABLE ones included; "ready": true keeps the READY ones', async () => {
    expect(await index()).toEqual([
      { name: 'broken', version: '1', state: 'AVAILABLE', reason: '' },
      { name: 'cold', version: '1', state: 'AVAILABLE', reason: '' },
      { name: 'cold', version: '2', state: 'AVAILABLE', reason: '' },
      { name: 'required', version: '1', state: 'READY', reason: '' },
      { name: 'required', version: '2', state: 'READY', reason: '' },
    ]);
    // tritonclient sends its JSON without a Content-Type.
    expect((await index('{"ready": true}')).map((entry) => `${entry.name}/${entry.version}`)).toEqual(['required/1', 'required/2']);
  });

  it('refuses a body it cannot take with a 400 naming what is wrong', async () => {
    const unknown = await post('/v2/repository/index', '{"readyy": true}');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toBe('unknown field "readyy"; this request takes "ready"');
    expect((await post('/v2/repository/index', '{"ready": "yes"}')).json().error).toBe('"ready" must be true or false');
    expect((await post('/v2/repository/index', '[1')).json().error).toBe('request body is not valid JSON');
    const config = await post('/v2/repository/models/cold/load', '{"parameters": {"config": "{}"}}');
    expect(config.statusCode).toBe(400);
    expect(config.json().error).toBe('parameters "config" are not supported: models are loaded from MODELS_DIR only');
  });

  it('loads every version of a model, which then serves without a wait', async () => {
    const loaded = await post('/v2/repository/models/cold/load');
    expect(loaded.statusCode).toBe(200);
    expect((await index()).filter((entry) => entry.name === 'cold').map((entry) => entry.state)).toEqual(['READY', 'READY']);
    expect((await predict('cold')).statusCode).toBe(200);
  });

  it('answers a load that leaves no version READY with a 400 naming why', async () => {
    const failed = await post('/v2/repository/models/broken/load');
    expect(failed.statusCode).toBe(400);
    expect(failed.json().error).toMatch(/^failed to load model "broken": no version is READY: version 1 is FAILED \(onnxruntime could not load broken\/1/);
  });

  it('unloads every version of a model until it is loaded again, and refuses a required one (409)', async () => {
    const unloaded = await post('/v2/repository/models/cold/unload', '{"parameters": {"unload_dependents": false}}');
    expect(unloaded.statusCode).toBe(200);
    expect((await index()).filter((entry) => entry.name === 'cold')).toEqual([
      { name: 'cold', version: '1', state: 'UNAVAILABLE', reason: 'unloaded through the admin API' },
      { name: 'cold', version: '2', state: 'UNAVAILABLE', reason: 'unloaded through the admin API' },
    ]);
    expect((await predict('cold')).statusCode).toBe(404);

    const required = await post('/v2/repository/models/required/unload');
    expect(required.statusCode).toBe(409);
    expect(required.json().error).toContain('model "required" is required for readiness');
    expect((await predict('required')).statusCode).toBe(200);

    expect((await post('/v2/repository/models/cold/load')).statusCode).toBe(200);
    expect((await predict('cold')).statusCode).toBe(200);
    expect((await post('/v2/repository/models/nope/load')).statusCode).toBe(404);
  });
});
