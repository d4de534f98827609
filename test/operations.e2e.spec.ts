import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { ShutdownState } from '../src/lifecycle/shutdown-state';
import { useTestApp, withTestApp } from './support/test-app';

const TOKEN = 'test-admin-token-0123456789';
const IRIS = '{"instances":[[5.1,3.5,1.4,0.2]]}';

describe('admin API', () => {
  const server = useTestApp({ models: ['iris'], env: { ADMIN_TOKEN: TOKEN, MODEL_POLL_INTERVAL_MS: '0' } });

  const admin = (method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, token: string | null = TOKEN) =>
    server.app.inject({
      method,
      url,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(payload ? { 'content-type': 'application/json' } : {}) },
      ...(payload ? { payload: JSON.stringify(payload) } : {}),
    });
  const predict = (headers: Record<string, string> = {}) =>
    server.app.inject({ method: 'POST', url: '/v1/models/iris/predict', headers: { 'content-type': 'application/json', ...headers }, payload: IRIS });

  it('refuses calls without the token (401) or with a wrong one (403)', async () => {
    const none = await admin('POST', '/v1/admin/rescan', undefined, null);
    expect(none.statusCode).toBe(401);
    expect(none.json().message).toContain('Authorization: Bearer');
    const wrong = await admin('POST', '/v1/admin/rescan', undefined, 'not-the-token-at-all');
    expect(wrong.statusCode).toBe(403);
  });

  it('sets and clears a default version at run time', async () => {
    const set = await admin('PUT', '/v1/admin/models/iris/config', { default_version: 2 });
    expect(set.statusCode).toBe(200);
    // Fields the body leaves out keep config.json's values: the labels stay.
    expect(set.json()).toMatchObject({ name: 'iris', default_version: 2, labels: { stable: 1, canary: 2 } });
    expect((await predict()).headers['x-model-version']).toBe('2');
    const cleared = await admin('DELETE', '/v1/admin/models/iris/config');
    expect(cleared.json().default_version).toBe(1);
    expect((await predict()).headers['x-model-version']).toBe('1');
  });

  it('refuses a path version that is not a version folder name with a 400 that quotes it, as /v2 does', async () => {
    for (const raw of ['01', '1e3', 'two']) {
      const response = await admin('POST', `/v1/admin/models/iris/versions/${raw}/load`);
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'BAD_REQUEST',
        message: `the version in the path must be a positive integer (e.g. /versions/1), got "${raw}"`,
      });
    }
  });

  it('refuses a config naming versions that do not exist, with a 422', async () => {
    const response = await admin('PUT', '/v1/admin/models/iris/config', { labels: { beta: 9 } });
    expect(response.statusCode).toBe(422);
    expect(response.json().message).toContain('has no version 9');
    const badWeights = await admin('PUT', '/v1/admin/models/iris/config', { weights: { x: 1 } });
    expect(badWeights.statusCode).toBe(422);
  });

  it('unloads and loads a version', async () => {
    const unloaded = await admin('POST', '/v1/admin/models/iris/versions/2/unload');
    expect(unloaded.json().versions[1]).toMatchObject({ version: 2, state: 'UNAVAILABLE' });
    expect((await predict({ 'x-model-version': '2' })).statusCode).toBe(404);
    const loaded = await admin('POST', '/v1/admin/models/iris/versions/2/load');
    expect(loaded.json().versions[1]).toMatchObject({ version: 2, state: 'READY' });
    expect((await predict({ 'x-model-version': '2' })).statusCode).toBe(200);
  });

  it('picks up a version copied in and one removed when told to rescan', async () => {
    await cp(path.join(server.modelsDir, 'iris', '2'), path.join(server.modelsDir, 'iris', '3'), { recursive: true });
    const rescanned = await admin('POST', '/v1/admin/rescan');
    expect(rescanned.json().models[0].versions.map((v: { version: number }) => v.version)).toEqual([1, 2, 3]);
    expect((await predict({ 'x-model-version': '3' })).statusCode).toBe(200);
    await rm(path.join(server.modelsDir, 'iris', '3'), { recursive: true });
    await admin('POST', '/v1/admin/rescan');
    expect((await predict({ 'x-model-version': '3' })).statusCode).toBe(404);
  });

  it('splits traffic by canary weights, sticky per X-Request-Key, visible in the metrics', async () => {
    await admin('PUT', '/v1/admin/models/iris/config', { weights: { '1': 50, '2': 50 } });
    const served = new Set<string>();
    for (let i = 0; i < 40; i++) served.add((await predict({ 'x-request-key': `user-${i}` })).headers['x-model-version'] as string);
    expect([...served].sort()).toEqual(['1', '2']);
    const first = (await predict({ 'x-request-key': 'alice' })).headers['x-model-version'];
    for (let i = 0; i < 10; i++) expect((await predict({ 'x-request-key': 'alice' })).headers['x-model-version']).toBe(first);
    const metrics = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/model_predictions_total\{model="iris",version="2",outcome="success",protocol="http"\} \d+/);
    await admin('DELETE', '/v1/admin/models/iris/config');
  });

  it('refuses to unload the configured default or the only READY version, and a default that is not READY (409)', async () => {
    await admin('PUT', '/v1/admin/models/iris/config', { default_version: 2 });
    const unloadDefault = await admin('POST', '/v1/admin/models/iris/versions/2/unload');
    expect(unloadDefault.statusCode).toBe(409);
    expect(unloadDefault.json().message).toContain('version 2 is its configured default version');
    expect((await predict()).headers['x-model-version']).toBe('2');
    await admin('DELETE', '/v1/admin/models/iris/config');
    expect((await admin('POST', '/v1/admin/models/iris/versions/2/unload')).statusCode).toBe(200);
    const unloadLast = await admin('POST', '/v1/admin/models/iris/versions/1/unload');
    expect(unloadLast.statusCode).toBe(409);
    expect(unloadLast.json().message).toContain('its only READY version');
    const notReadyDefault = await admin('PUT', '/v1/admin/models/iris/config', { default_version: 2 });
    expect(notReadyDefault.statusCode).toBe(409);
    expect(notReadyDefault.json().message).toContain('version 2 is UNAVAILABLE, not READY');
    expect((await server.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    await admin('POST', '/v1/admin/models/iris/versions/2/load');
  });

  it('keeps labels named after Object.prototype members as labels, and never resolves what is not one', async () => {
    const set = await admin('PUT', '/v1/admin/models/iris/config', { labels: { stable: 1, toString: 2 } });
    expect(set.statusCode).toBe(200);
    expect(set.json().labels).toEqual({ stable: 1, toString: 2 });
    expect((await predict({ 'x-model-version': 'toString' })).headers['x-model-version']).toBe('2');
    const missing = await predict({ 'x-model-version': 'constructor' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toContain('label "constructor" is not defined');
    await admin('DELETE', '/v1/admin/models/iris/config');
  });

  it('splits huge weights by their proportions, and the model metadata follows the sticky key', async () => {
    await admin('PUT', '/v1/admin/models/iris/config', { weights: { '1': 1e308, '2': 1e308 } });
    const served = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const key = { 'x-request-key': `user-${i}` };
      const version = (await predict(key)).headers['x-model-version'] as string;
      served.add(version);
      const metadata = await server.app.inject({ method: 'GET', url: '/v1/models/iris', headers: key });
      expect(metadata.headers['x-model-version']).toBe(version);
    }
    expect([...served].sort()).toEqual(['1', '2']);
    await admin('DELETE', '/v1/admin/models/iris/config');
  });

  const putConfig = (payload: string) =>
    server.app.inject({
      method: 'PUT',
      url: '/v1/admin/models/iris/config',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload,
    });

  it('answers prototype-named keys nested in the config maps with a 4xx naming their path, or takes them as labels, never a 500', async () => {
    for (const [body, status, message] of [
      ['{"weights": {"constructor": 1}}', 422, 'weights.constructor'],
      ['{"weights": {"1": {"constructor": 1}}}', 422, 'weights.1'],
      ['{"labels": {"toString": {"valueOf": 1}}}', 422, 'labels.toString'],
      ['{"weights": {"1": {"__proto__": 1}}}', 400, 'weights.1.__proto__: the key "__proto__" is not allowed'],
      ['{"labels": {"constructor": {"prototype": 1}}}', 400, 'labels.constructor.prototype: the key "constructor.prototype" is not allowed'],
      ['{"default_version": {"__proto__": 1}}', 400, 'default_version.__proto__'],
    ] as const) {
      const response = await putConfig(body);
      expect(response.statusCode, `${body}: ${response.body}`).toBe(status);
      expect(response.json().message).toContain(message);
    }
    const set = await putConfig('{"labels": {"constructor": 2, "hasOwnProperty": 1}}');
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().labels).toEqual({ constructor: 2, hasOwnProperty: 1 });
    expect((await predict({ 'x-model-version': 'constructor' })).headers['x-model-version']).toBe('2');
    await admin('DELETE', '/v1/admin/models/iris/config');
  });

  it('refuses unknown keys with a 422 naming their path, as /v1 does, and changes nothing', async () => {
    for (const [body, message] of [
      ['{"hasOwnProperty": 1}', 'hasOwnProperty: property hasOwnProperty should not exist'],
      ['{"default_version": 2, "valueOf": 1}', 'valueOf: property valueOf should not exist'],
      ['{"canary": {"foo": 1}}', 'canary: property canary should not exist'],
      ['{"weights": {"x": {"y": 1}}}', 'weights.x: weights key "x" must be a version number'],
      ['{"labels": {"beta version": 1}}', 'labels.beta version: label "beta version" must start with a letter'],
    ] as const) {
      const response = await putConfig(body);
      expect(response.statusCode, `${body}: ${response.body}`).toBe(422);
      expect(response.json()).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining(message) });
    }
    expect((await predict()).headers['x-model-version']).toBe('1');
  });

  it('bounds a config body while it arrives and before it is parsed, naming the limit', async () => {
    const huge = JSON.stringify({ labels: Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`l${i}`, 1])) });
    const tooLarge = await putConfig(huge);
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: 'request body is larger than 65536 bytes (the admin API limit)' });
    const deep = await putConfig('{"labels": {"a": {"b": {"c": {"d": 1}}}}}');
    expect(deep.statusCode).toBe(400);
    expect(deep.json().message).toBe('JSON body is nested deeper than 4 levels (the admin API limit)');
    const manyKeys = await putConfig(JSON.stringify({ labels: Object.fromEntries(Array.from({ length: 1900 }, (_, i) => [`l${i}`, 1])) }));
    expect(manyKeys.statusCode).toBe(400);
    expect(manyKeys.json().message).toBe('JSON body has more than 1808 object keys (the admin API limit)');
    const manyObjects = await putConfig(JSON.stringify({ versions: Object.fromEntries(Array.from({ length: 280 }, (_, i) => [`${i + 1}`, {}])) }));
    expect(manyObjects.statusCode).toBe(400);
    expect(manyObjects.json().message).toBe('JSON body has more than 272 arrays and objects (the admin API limit)');
    const manyLabels = await putConfig(JSON.stringify({ labels: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`l${i}`, 1])) }));
    expect(manyLabels.statusCode).toBe(422);
    expect(manyLabels.json().message).toBe('labels must NOT have more than 256 properties, got 300');
    // The limits are the admin API's own: /v1 still takes bodies of BODY_LIMIT_BYTES.
    const rows = JSON.stringify({ instances: Array.from({ length: 8 }, () => [5.1, 3.5, 1.4, 0.2]), padding: 'x'.repeat(100_000) });
    expect((await server.app.inject({ method: 'POST', url: '/v1/models/iris/predict', headers: { 'content-type': 'application/json' }, payload: rows })).statusCode).toBe(422);
  });

  it('logs a refused call without the secrets its URL or headers carried', async () => {
    const warnings = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const response = await server.app.inject({
        method: 'POST',
        url: '/v1/admin/rescan?token=query-secret-1&API_KEY=query-secret-2&dry_run=1',
        headers: { authorization: 'Bearer header-secret-3-wrong-token' },
      });
      expect(response.statusCode).toBe(403);
      const logged = warnings.mock.calls.map((call) => call.map(String).join(' ')).join('\n');
      expect(logged).toContain('Refused admin call POST /v1/admin/rescan?token=[REDACTED]&API_KEY=[REDACTED]&dry_run=[REDACTED]');
      expect(logged).not.toMatch(/secret-\d/);
    } finally {
      warnings.mockRestore();
    }
  });

  it('answers 400 for a malformed version in the path', async () => {
    expect((await admin('POST', '/v1/admin/models/iris/versions/abc/load')).statusCode).toBe(400);
    expect((await admin('POST', '/v1/admin/models/nope/reload')).statusCode).toBe(404);
  });
});

describe('admin API without ADMIN_TOKEN', () => {
  it('does not exist (404)', async () => {
    await withTestApp({ models: ['iris'] }, async ({ app }) => {
      const response = await app.inject({ method: 'POST', url: '/v1/admin/rescan', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.statusCode).toBe(404);
    });
  });
});

describe('hardening', () => {
  const server = useTestApp({
    models: ['iris'],
    env: { CORS_ORIGINS: 'https://app.example.com', RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: '60000', MAX_JSON_DEPTH: '16' },
  });

  it('sends security headers, Swagger UI included', async () => {
    const docs = await server.app.inject({ method: 'GET', url: '/docs', remoteAddress: '10.0.0.1' });
    expect(docs.headers['content-security-policy']).toContain("default-src 'self'");
    expect(docs.headers['x-content-type-options']).toBe('nosniff');
    expect(docs.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('allows the configured CORS origin only', async () => {
    const allowed = await server.app.inject({ method: 'OPTIONS', url: '/v1/models/iris/predict', remoteAddress: '10.0.0.2', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const other = await server.app.inject({ method: 'OPTIONS', url: '/v1/models/iris/predict', remoteAddress: '10.0.0.2', headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses JSON nested deeper than MAX_JSON_DEPTH with a 400, whatever its size', async () => {
    for (const depth of [17, 100_000]) {
      const response = await server.app.inject({
        method: 'POST',
        url: '/v1/models/iris/predict',
        remoteAddress: '10.0.0.3',
        headers: { 'content-type': 'application/json' },
        payload: `{"instances":${'['.repeat(depth)}${']'.repeat(depth)}}`,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().message).toContain('MAX_JSON_DEPTH');
    }
  });

  it('refuses a 1 MB body of 340,000 empty objects by counting them before parsing, on /v1 and /v2 (JSON and binary header)', async () => {
    // Just under BODY_LIMIT_BYTES (1 MiB): the objects, not the size, are what is refused.
    const many = Array.from({ length: 340_000 }, () => '{}').join(',');
    const requests = [
      { url: '/v1/models/iris/predict', headers: { 'content-type': 'application/json' }, payload: `{"instances":[${many}]}` },
      { url: '/v2/models/iris/infer', headers: { 'content-type': 'application/json' }, payload: `{"inputs":[${many}]}` },
      { url: '/v2/models/iris/infer', headers: {}, payload: `{"inputs":[${many}]}` },
    ];
    for (const request of requests) {
      const response = await server.app.inject({ method: 'POST', remoteAddress: '10.0.0.4', ...request });
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('more than 100000 arrays and objects (MAX_JSON_CONTAINERS)');
    }
    expect((await server.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
  });

  it('rate-limits per client with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 7; i++) {
      last = await server.app.inject({ method: 'GET', url: '/v1/models', remoteAddress: '10.0.0.9' });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect(last!.json().message).toContain('rate limit');
    const v2 = await server.app.inject({ method: 'GET', url: '/v2', remoteAddress: '10.0.0.9' });
    expect(v2.statusCode).toBe(429);
    expect(v2.json()).toEqual({ error: expect.stringContaining('rate limit') });
    expect((await server.app.inject({ method: 'GET', url: '/v1/models', remoteAddress: '10.0.0.10' })).statusCode).toBe(200);
  });

  it('never rate-limits health probes, those of the Open Inference Protocol included', async () => {
    for (const url of ['/health/live', '/health/ready', '/v2/health/live', '/v2/health/ready']) {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await server.app.inject({ method: 'GET', url, remoteAddress: '10.0.0.11' })).statusCode);
      expect(statuses, url).toEqual(Array(8).fill(200));
    }
  });
});

describe('readiness while draining', () => {
  it('is refused by /health/ready and /v2/health/ready alike, while liveness holds', async () => {
    await withTestApp({ models: ['iris'] }, async ({ app }) => {
      expect((await app.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode).toBe(200);
      app.get(ShutdownState).startDraining();
      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().error.model_registry.message).toBe('shutting down: finishing requests in flight');
      expect((await app.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode).toBe(400);
      expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
    });
  });
});
