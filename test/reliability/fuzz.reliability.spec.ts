import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, tempModelsDir } from '../support/test-app';
import { printFigures, runLoad, type RequestSpec } from './support/load';
import { startServer, type ServerProcess } from './support/server-process';

/** Deterministic pseudo-random numbers, so a failing request can be reproduced from its index. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REQUESTS = 6000;

/** Hostile or malformed requests across every endpoint, chosen from the request index. */
function hostileRequest(index: number): RequestSpec {
  const random = mulberry32(index + 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const models = ['iris', 'digits', 'nope', '..', '%2e%2e', 'a'.repeat(300), 'iris%00', '%F0%9F%92%A9'];
  const paths = [
    `/v1/models/${pick(models)}/predict`,
    `/v1/models/${pick(models)}`,
    '/v1/models',
    `/v2/models/${pick(models)}/infer`,
    `/v2/models/${pick(models)}/versions/${pick(['1', '0', '-1', 'x', '99999999999'])}/infer`,
    `/v2/models/${pick(models)}`,
    '/v2',
    '/v2/health/ready',
    '/health/ready',
    '/metrics',
    '/docs-json',
    `/v1/admin/${pick(['rescan', 'models/iris/reload', 'models/iris/versions/1/unload', 'models/iris/config', 'models/iris/config'])}`,
    `/${'x/'.repeat(Math.floor(random() * 50))}`,
  ];
  const deep = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;
  const bodies: Array<() => string | Buffer> = [
    () => '{"instances": [',
    () => 'null',
    () => '[]',
    () => '"instances"',
    () => `{"instances": ${deep(Math.floor(random() * 5000))}}`,
    () => `{"instances": [[${Array.from({ length: 4 }, () => pick(['1e999', '-1e400', '"x"', 'null', 'true', '{}', '[]', '1.5', '1e38', '1e39'])).join(',')}]]}`,
    () => JSON.stringify({ instances: Array.from({ length: Math.floor(random() * 3000) }, () => [1, 2, 3, 4]) }),
    () => JSON.stringify({ instances: [{ sepal_length: 'a'.repeat(Math.floor(random() * 50_000)) }] }),
    () => JSON.stringify({ instances: [{ __proto__: { x: 1 }, constructor: { prototype: {} } }] }),
    () => '{"__proto__": {"polluted": true}, "instances": [[1,2,3,4]]}',
    // Admin config bodies: prototype-named keys nested in its maps, unknown keys, and far more labels than it takes.
    () => `{"labels": {"${pick(['constructor', 'toString', 'prototype', 'stable'])}": ${pick(['1', '{"constructor": 1}', '{"__proto__": {}}', '[1]'])}}, "weights": {"${pick(['1', 'constructor', 'x'])}": {"y": 1}}}`,
    () => JSON.stringify({ default_version: 1, [pick(['hasOwnProperty', 'canary', 'valueOf'])]: { foo: 1 } }),
    () => JSON.stringify({ labels: Object.fromEntries(Array.from({ length: Math.floor(random() * 60_000) }, (_, i) => [`l${i}`, 1])) }),
    () => JSON.stringify({ inputs: [{ name: 'input', datatype: pick(['FP32', 'BYTES', 'BOOL', 'XX']), shape: [pick([1, -1, 0, 1e9]), 4], data: pick([[1, 2, 3, 4], 'abc', [[1]], []]) }] }),
    () => JSON.stringify({ inputs: 'x', outputs: [{ name: 7 }] }),
    () => Buffer.from(Array.from({ length: Math.floor(random() * 2000) }, () => Math.floor(random() * 256))),
    () => `--b\r\nContent-Disposition: form-data; name="image"; filename="x.png"\r\n\r\n${'\u0089PNG'.repeat(Math.floor(random() * 100))}`,
    () => '',
  ];
  const contentTypes = [
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'multipart/form-data; boundary=b',
    'multipart/form-data',
    'application/octet-stream',
    'application/x-www-form-urlencoded',
    '',
    'image/png',
  ];
  const headers: Record<string, string> = {};
  const contentType = pick(contentTypes);
  if (contentType) headers['content-type'] = contentType;
  if (random() < 0.5) headers['x-model-version'] = pick(['1', '2', 'stable', '0', '-1', '../1', 'x'.repeat(500), ' ', '1,2', '99999999999', 'canary']);
  if (random() < 0.2) headers['x-request-id'] = pick(['ok-id', 'bad id', 'x'.repeat(1000)]);
  if (random() < 0.2) headers['x-request-key'] = 'k'.repeat(Math.floor(random() * 400));
  if (random() < 0.2) headers['inference-header-content-length'] = pick(['10', '-5', 'abc', '999999999', '0']);
  if (random() < 0.1) headers.authorization = pick(['Bearer x', 'Basic abc', 'Bearer ']);
  // Half the admin calls carry the token, so their bodies reach the admin API's own checks.
  else if (random() < 0.5) headers.authorization = 'Bearer reliability-admin-token-123';
  const method = pick(['POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH']);
  const body = method === 'GET' ? undefined : pick(bodies)();
  // Now and then a body with no framing at all: its bytes arrive as garbage where the next request should start.
  const unframed = method === 'DELETE' && body !== undefined && random() < 0.3;
  return { method, path: pick(paths) + (random() < 0.2 ? `?top_k=${pick(['0', '-1', 'x', '1e9', '3'])}` : ''), headers, body, unframed };
}

describe('fuzz: malformed and hostile requests on every endpoint', () => {
  let server: ServerProcess;
  let modelsDir: string;

  beforeAll(async () => {
    modelsDir = await tempModelsDir('iris', 'digits');
    server = await startServer({ MODELS_DIR: modelsDir, ADMIN_TOKEN: 'reliability-admin-token-123' });
  });
  afterAll(async () => {
    await server?.stop();
    await removeDir(modelsDir);
  });

  it(`answers ${REQUESTS} hostile requests with no 5xx and no dropped connection, and stays live`, async () => {
    let issued = 0;
    const result = await runLoad(server.url, Number(process.env.FUZZ_CONNECTIONS ?? 16), (i) => hostileRequest(i), () => issued++ >= REQUESTS);
    const serverErrors = result.outcomes.filter((outcome) => (outcome.status ?? 0) >= 500).map((outcome) => ({ outcome }));
    printFigures('fuzz', { requests: result.requests, by_status: result.byStatus, dropped: result.dropped, errors: result.byError, refused: result.refused, max_ms: Math.round(result.maxMs) });
    const kinds: Record<string, number> = {};
    for (const o of result.outcomes.filter((o) => o.status === undefined)) {
      const spec = hostileRequest(o.index!);
      const key = `${spec.method} ct=${spec.headers?.['content-type'] ?? '-'} body=${spec.body === undefined ? 'none' : Buffer.byteLength(spec.body) > 60000 ? 'big' : 'small'} xmv=${spec.headers?.['x-model-version']?.length ?? '-'}`;
      kinds[key] = (kinds[key] ?? 0) + 1;
    }
    expect(serverErrors.slice(0, 5).map(({ outcome }) => `${outcome.status} ${outcome.body}`)).toEqual([]);
    expect(result.dropped).toBe(0);
    expect(result.refused).toBe(0);
    expect(result.requests).toBeGreaterThanOrEqual(REQUESTS);
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
    const ok = await fetch(`${server.url}/v1/models/iris/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"instances":[[5.1,3.5,1.4,0.2]]}',
    });
    expect(ok.status).toBe(200);
  });
});
