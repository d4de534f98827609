import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { keysFileContent, SecretVolume, type TestKey } from './support/auth';
import { flower, irisRequest } from './support/prediction-log';
import { configureShadow, scrape, seriesSum, shadowIdle } from './support/shadow';
import { useTestApp } from './support/test-app';

/**
 * How a shadow is turned on, changed and off (config.json, hot reload, the admin API), how often it
 * samples, and who may read its report with PREDICT_AUTH on.
 */

const TOKEN = 'shadow-config-admin-token';
const report = (server: ReturnType<typeof useTestApp>, headers: Record<string, string> = {}) =>
  server.app.inject({ method: 'GET', url: '/v1/models/iris/shadow', headers });

describe('a shadow configured at run time', () => {
  const server = useTestApp({ models: ['iris'], env: { ADMIN_TOKEN: TOKEN, MODEL_POLL_INTERVAL_MS: '50', MODEL_SETTLE_MS: '0' } });
  const admin = (method: 'PUT' | 'DELETE', body?: unknown) =>
    server.app.inject({
      method,
      url: '/v1/admin/models/iris/config',
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });

  it('is off by default: no request is shadowed, the report answers NO_SHADOW and no series exists', async () => {
    expect((await server.app.inject(irisRequest([flower(1)], 'off-1'))).statusCode).toBe(200);
    await shadowIdle(server.app);
    expect((await report(server)).json()).toMatchObject({ statusCode: 404, code: 'NO_SHADOW' });
    expect(await scrape(server.app)).not.toContain('model_shadow_requests_total{');
  });

  it('follows config.json as it changes on disk, and starts its figures again when the shadow changes', async () => {
    const file = path.join(server.modelsDir, 'iris', 'config.json');
    const original = await readFile(file, 'utf8');
    await configureShadow(server.modelsDir, 'iris', { version: 'canary', sample: 1 });
    await vi.waitFor(async () => expect((await report(server)).statusCode).toBe(200), { timeout: 5000 });
    expect((await server.app.inject(irisRequest([flower(2)], 'file-1'))).statusCode).toBe(200);
    await shadowIdle(server.app);
    const first = (await report(server)).json();
    expect(first).toMatchObject({ shadow: { version: 'canary', sample: 1 }, shadow_version: 2, requests: { compared: 1 } });

    // Another field of config.json changes: the shadow is the same, its figures go on.
    await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, 'utf8')), weights: { '1': 100 } }));
    await vi.waitFor(async () => expect((await server.app.inject({ method: 'GET', url: '/v1/models' })).json().models[0].weights).toEqual({ '1': 100 }), { timeout: 5000 });
    expect((await report(server)).json()).toMatchObject({ since: first.since, requests: { compared: 1 } });

    await configureShadow(server.modelsDir, 'iris', { version: 'canary', sample: 0.5 });
    await vi.waitFor(async () => expect((await report(server)).json().shadow.sample).toBe(0.5), { timeout: 5000 });
    const changed = (await report(server)).json();
    expect(changed.requests.compared).toBe(0);
    expect(Date.parse(changed.since)).toBeGreaterThan(Date.parse(first.since));
    // The series count on: counters never go back.
    expect(seriesSum(await scrape(server.app), 'model_shadow_requests_total', { model: 'iris', outcome: 'compared' })).toBe(1);
    await writeFile(file, original);
    await vi.waitFor(async () => expect((await report(server)).statusCode).toBe(404), { timeout: 5000 });
  });

  it('is set, replaced and turned off through the admin API; a refused body names the field', async () => {
    const set = await admin('PUT', { shadow: { version: 2, sample: 1, top_k: 1 } });
    expect(set.statusCode).toBe(200);
    expect(set.json().shadow).toMatchObject({ version: 2, sample: 1 });
    expect((await server.app.inject(irisRequest([flower(3)], 'admin-1'))).statusCode).toBe(200);
    await shadowIdle(server.app);
    expect((await report(server)).json()).toMatchObject({ shadow: { top_k: 1 }, requests: { compared: 1 }, topk: { k: 1 } });

    const refused = await admin('PUT', { shadow: { version: 2, sample: 3 } });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().message).toContain('shadow.sample must not be greater than 1');

    // A label that names no version yet: sampled requests count as unavailable, and say so.
    await admin('PUT', { shadow: { version: 'next', sample: 1 } });
    expect((await server.app.inject(irisRequest([flower(4)], 'admin-2'))).statusCode).toBe(200);
    await shadowIdle(server.app);
    expect((await report(server)).json()).toMatchObject({ shadow_version: null, requests: { unavailable: 1 }, comparisons: [{ shadow_version: 'next' }] });

    expect((await admin('PUT', { shadow: null })).json()).not.toHaveProperty('shadow');
    expect((await report(server)).statusCode).toBe(404);
    expect((await admin('DELETE')).statusCode).toBe(200);
  });
});

describe('sampling', () => {
  const server = useTestApp({ models: ['iris'], prepare: (dir) => configureShadow(dir, 'iris', { version: 2, sample: 0.3, queue_size: 1000 }) });

  it('shadows about `sample` of the answered requests: within 5 standard deviations over 400', async () => {
    const n = 400;
    for (let i = 0; i < n; i++) expect((await server.app.inject(irisRequest([flower(i)], `sample-${i}`))).statusCode).toBe(200);
    await shadowIdle(server.app);
    const { requests } = (await report(server)).json();
    const sampled = requests.compared + requests.dropped;
    expect(requests.dropped).toBe(0);
    expect(Math.abs(sampled - n * 0.3)).toBeLessThan(5 * Math.sqrt(n * 0.3 * 0.7));
  });
});

describe('with PREDICT_AUTH=keys', () => {
  const IRIS: TestKey = { id: 'team-iris', key: 'shadow-iris-key-4c1d9e2a7b', models: ['iris'] };
  const OTHER: TestKey = { id: 'team-digits', key: 'shadow-digits-key-8f3a0b6c2d', models: ['digits'] };
  const volume = new SecretVolume(keysFileContent([IRIS, OTHER]));
  afterAll(() => volume.remove());
  const server = useTestApp({
    models: ['iris', 'digits'],
    env: { PREDICT_AUTH: 'keys', API_KEYS_FILE: volume.file },
    prepare: (dir) => configureShadow(dir, 'iris', { version: 2, sample: 1 }),
  });
  const bearer = (key: TestKey) => ({ authorization: `Bearer ${key.key}` });

  it('answers the report as /v1/models/{name}: only to a caller allowed the model', async () => {
    expect((await report(server)).statusCode).toBe(401);
    const forbidden = await report(server, bearer(OTHER));
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().message).toBe('caller "team-digits" may not use model "iris"');
    expect((await report(server, bearer(IRIS))).statusCode).toBe(200);
  });

  it('never shadows a request refused for its credential', async () => {
    const before = (await report(server, bearer(IRIS))).json().requests;
    const refused = [{}, bearer(OTHER), { authorization: 'Bearer not-a-key' }];
    for (const headers of refused) {
      const request = irisRequest([flower(5)], 'refused');
      const answer = await server.app.inject({ ...request, headers: { ...request.headers, ...headers } });
      expect(answer.statusCode).toBeGreaterThanOrEqual(401);
    }
    const allowed = irisRequest([flower(5)], 'allowed');
    expect((await server.app.inject({ ...allowed, headers: { ...allowed.headers, ...bearer(IRIS) } })).statusCode).toBe(200);
    await shadowIdle(server.app);
    expect((await report(server, bearer(IRIS))).json().requests).toEqual({ ...before, compared: before.compared + 1 });
  });
});
