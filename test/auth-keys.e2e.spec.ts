import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { authFilesProblem } from '../src/auth/auth-sources';
import { loadConfig } from '../src/config/app-config';
import { PINO_LOGGER } from '../src/observability/logger';
import { keysFileContent, SecretVolume, type TestKey } from './support/auth';
import { grpcClient, type GrpcTestClient } from './support/grpc-client';
import { useTestApp, withTestApp } from './support/test-app';

/*
 * PREDICT_AUTH=keys on every model API: /v1, /v2 and gRPC. The keys file is mounted as Kubernetes
 * mounts a Secret (a symlink swapped on update), and changed while the service runs.
 */

const IRIS_KEY: TestKey = { id: 'team-iris', key: 'iris-key-0f3a9c2e71b84d56', models: ['iris'] };
const ALL_KEY: TestKey = { id: 'ops', key: 'ops-key-5be1c0d7a2f94e38', models: ['*'] };
/** May use iris and a model that does not exist: its 404 must offer iris, and nothing else. */
const GHOST_KEY: TestKey = { id: 'team-ghost', key: 'ghost-key-7d2e4b91c0a3f856', models: ['iris', 'ghost'] };
const WRONG_KEY = 'not-a-key-of-this-service-1234';

const IRIS_BODY = { instances: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }] };
const V2_BODY = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] };
const GRPC_INFER = {
  model_name: 'iris',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }],
  raw_input_contents: [Buffer.from(Float32Array.from([5.1, 3.5, 1.4, 0.2]).buffer)],
};

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function grpcRefusal(call: Promise<unknown>): Promise<ServiceError> {
  return call.then(
    () => {
      throw new Error('expected the call to be refused');
    },
    (error: ServiceError) => error,
  );
}

describe('PREDICT_AUTH=keys', () => {
  const volume = new SecretVolume(keysFileContent([IRIS_KEY, ALL_KEY, GHOST_KEY]));
  const logDir = mkdtempSync(path.join(tmpdir(), 'auth-log-'));
  const server = useTestApp({
    models: ['iris', 'digits'],
    grpc: true,
    env: {
      PREDICT_AUTH: 'keys',
      API_KEYS_FILE: volume.file,
      AUTH_FILES_POLL_MS: '100',
      LOG_LEVEL: 'trace',
      PREDICTION_LOG: `file:${path.join(logDir, 'predictions.jsonl')}`,
    },
  });
  let grpc: GrpcTestClient;
  const lines: string[] = [];

  beforeAll(() => {
    grpc = grpcClient(server.grpcPort);
    // Every line the service writes goes through its pino logger's stream: kept here instead of stdout.
    const stream = (server.app.get<Logger>(PINO_LOGGER) as unknown as Record<symbol, { write(line: string): void }>)[pino.symbols.streamSym];
    vi.spyOn(stream, 'write').mockImplementation((line: string) => {
      lines.push(line);
      return true as never;
    });
  });
  afterAll(() => {
    grpc?.close();
    volume.remove();
    rmSync(logDir, { recursive: true, force: true });
  });

  const predict = (model: string, headers: Record<string, string> = {}) =>
    server.app.inject({ method: 'POST', url: `/v1/models/${model}/predict`, headers: { 'content-type': 'application/json', ...headers }, payload: IRIS_BODY });
  const infer = (model: string, headers: Record<string, string> = {}) =>
    server.app.inject({ method: 'POST', url: `/v2/models/${model}/infer`, headers: { 'content-type': 'application/json', ...headers }, payload: V2_BODY });

  describe('/v1', () => {
    it('no credential: 401 saying what to send, with a bare Bearer challenge (RFC 6750: no error code)', async () => {
      const answer = await predict('iris');
      expect(answer.statusCode).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Bearer realm="onnx-model-server"');
      expect(answer.json()).toEqual({
        statusCode: 401,
        code: 'UNAUTHORIZED',
        error: 'Unauthorized',
        message: 'this API needs a credential: send Authorization: Bearer <API key>, or X-API-Key: <API key>',
      });
    });

    it('a wrong key: 401 invalid_token, the key not echoed', async () => {
      for (const headers of [bearer(WRONG_KEY), { 'x-api-key': WRONG_KEY }]) {
        const answer = await predict('iris', headers);
        expect(answer.statusCode).toBe(401);
        expect(answer.json().message).toBe('the API key is not known (never issued, mistyped, or revoked)');
        expect(answer.headers['www-authenticate']).toBe(
          'Bearer realm="onnx-model-server", error="invalid_token", error_description="the API key is not known (never issued, mistyped, or revoked)"',
        );
        expect(answer.body).not.toContain(WRONG_KEY);
      }
    });

    it('a malformed Authorization: 401 naming the problem, never its content', async () => {
      const basic = await predict('iris', { authorization: `Basic ${Buffer.from(`u:${IRIS_KEY.key}`).toString('base64')}` });
      expect(basic.statusCode).toBe(401);
      expect(basic.json().message).toMatch(/^the Authorization scheme is not Bearer: send Authorization: Bearer <API key>/);
      const bare = await predict('iris', { authorization: IRIS_KEY.key });
      expect(bare.json().message).toMatch(/^the Authorization scheme is not Bearer/);
      expect(bare.body).not.toContain(IRIS_KEY.key);
      const both = await predict('iris', { ...bearer(IRIS_KEY.key), 'x-api-key': IRIS_KEY.key });
      expect([both.statusCode, both.json().message]).toEqual([401, 'send one credential, in Authorization or in X-API-Key, not both']);
    });

    it('the right key, as a bearer token or in X-API-Key: 200', async () => {
      for (const headers of [bearer(IRIS_KEY.key), { 'x-api-key': IRIS_KEY.key }, bearer(ALL_KEY.key)]) {
        const answer = await predict('iris', headers);
        expect(answer.statusCode, answer.body).toBe(200);
        expect(answer.json().predictions[0].label).toBe('setosa');
      }
      expect((await predict('digits', bearer(ALL_KEY.key))).statusCode).toBe(422);
    });

    it('a model outside the key\'s list: 403 naming the model, whether it exists or not', async () => {
      const digits = await predict('digits', bearer(IRIS_KEY.key));
      expect(digits.statusCode).toBe(403);
      expect(digits.json()).toMatchObject({ code: 'FORBIDDEN', message: 'caller "team-iris" may not use model "digits"' });
      expect(digits.headers['www-authenticate']).toMatch(/error="insufficient_scope", error_description="caller 'team-iris' may not use model 'digits'"/);
      const unknown = await predict('nope', bearer(IRIS_KEY.key));
      expect([unknown.statusCode, unknown.json().message]).toEqual([403, 'caller "team-iris" may not use model "nope"']);
      const metadata = await server.app.inject({ method: 'GET', url: '/v1/models/digits', headers: bearer(IRIS_KEY.key) });
      expect(metadata.statusCode).toBe(403);
      const drift = await server.app.inject({ method: 'GET', url: '/v1/models/digits/drift', headers: bearer(IRIS_KEY.key) });
      expect(drift.statusCode).toBe(403);
      expect((await server.app.inject({ method: 'GET', url: '/v1/models/iris/drift' })).statusCode).toBe(401);
    });

    it('lists only the models the caller may use, and offers only those when a model is missing', async () => {
      const names = async (key: string) =>
        (await server.app.inject({ method: 'GET', url: '/v1/models', headers: bearer(key) })).json().models.map((model: { name: string }) => model.name);
      expect(await names(IRIS_KEY.key)).toEqual(['iris']);
      expect(await names(ALL_KEY.key)).toEqual(['digits', 'iris']);
      expect((await server.app.inject({ method: 'GET', url: '/v1/models' })).statusCode).toBe(401);
      const ghost = await predict('ghost', bearer(GHOST_KEY.key));
      expect([ghost.statusCode, ghost.json().message]).toEqual([404, 'model "ghost" not found; available models: iris']);
      const everything = await predict('ghost', bearer(ALL_KEY.key));
      expect(everything.json().message).toBe('model "ghost" not found; available models: digits, iris');
    });

    it('documents both ways of sending a key in OpenAPI, on every model route and on no other', async () => {
      const document = (await server.app.inject({ method: 'GET', url: '/docs-json' })).json();
      expect(document.components.securitySchemes).toMatchObject({
        api_key_or_jwt: { type: 'http', scheme: 'bearer' },
        x_api_key: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      });
      const secured = Object.entries(document.paths as Record<string, Record<string, { security?: unknown }>>).flatMap(([route, operations]) =>
        Object.entries(operations)
          .filter(([, operation]) => JSON.stringify(operation.security ?? []).includes('x_api_key'))
          .map(([method]) => `${method.toUpperCase()} ${route}`),
      );
      expect(secured.sort()).toEqual([
        'GET /v1/models',
        'GET /v1/models/{name}',
        'GET /v1/models/{name}/drift',
        'GET /v1/models/{name}/shadow',
        'GET /v2/models/{name}',
        'GET /v2/models/{name}/ready',
        'GET /v2/models/{name}/versions/{version}',
        'GET /v2/models/{name}/versions/{version}/ready',
        'POST /v1/models/{name}/predict',
        'POST /v2/models/{name}/infer',
        'POST /v2/models/{name}/versions/{version}/infer',
      ]);
    });

    it('leaves health, metrics, the docs, the playground and /v2 server metadata open', async () => {
      for (const url of ['/health/live', '/health/ready', '/v2/health/live', '/v2/health/ready', '/metrics', '/docs-json', '/ui/', '/v2']) {
        expect((await server.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
      }
    });
  });

  describe('/v2', () => {
    it('no key 401 in the protocol\'s error shape; a wrong key 401; the right key 200; another model 403', async () => {
      const none = await infer('iris');
      expect(none.statusCode).toBe(401);
      expect(none.json()).toEqual({ error: expect.stringMatching(/^this API needs a credential/) });
      expect(none.headers['www-authenticate']).toBe('Bearer realm="onnx-model-server"');
      expect((await infer('iris', bearer(WRONG_KEY))).statusCode).toBe(401);
      const served = await infer('iris', bearer(IRIS_KEY.key));
      expect(served.statusCode, served.body).toBe(200);
      expect(served.json().outputs[0].name).toBe('probabilities');
      const other = await infer('digits', { 'x-api-key': IRIS_KEY.key });
      expect([other.statusCode, other.json()]).toEqual([403, { error: 'caller "team-iris" may not use model "digits"' }]);
      for (const url of ['/v2/models/digits', '/v2/models/digits/ready', '/v2/models/digits/versions/1', '/v2/models/digits/versions/1/ready']) {
        expect((await server.app.inject({ method: 'GET', url, headers: bearer(IRIS_KEY.key) })).statusCode, url).toBe(403);
      }
      expect((await server.app.inject({ method: 'GET', url: '/v2/models/iris/ready', headers: bearer(IRIS_KEY.key) })).statusCode).toBe(200);
    });
  });

  describe('gRPC', () => {
    it('no key UNAUTHENTICATED, a wrong key UNAUTHENTICATED, the right key OK, another model PERMISSION_DENIED', async () => {
      const none = await grpcRefusal(grpc.call('ModelInfer', GRPC_INFER));
      expect([Status[none.code], none.details]).toEqual([
        'UNAUTHENTICATED',
        'this API needs a credential: send Authorization: Bearer <API key>, or X-API-Key: <API key>',
      ]);
      const wrong = await grpcRefusal(grpc.call('ModelInfer', GRPC_INFER, { metadata: bearer(WRONG_KEY) }));
      expect([Status[wrong.code], wrong.details]).toEqual(['UNAUTHENTICATED', 'the API key is not known (never issued, mistyped, or revoked)']);
      expect((await grpc.call('ModelInfer', GRPC_INFER, { metadata: bearer(IRIS_KEY.key) })).model_name).toBe('iris');
      expect((await grpc.call('ModelInfer', GRPC_INFER, { metadata: { 'x-api-key': IRIS_KEY.key } })).model_version).toBe('1');
      const other = await grpcRefusal(grpc.call('ModelInfer', { ...GRPC_INFER, model_name: 'digits' }, { metadata: bearer(IRIS_KEY.key) }));
      expect([Status[other.code], other.details]).toEqual(['PERMISSION_DENIED', 'caller "team-iris" may not use model "digits"']);
      for (const method of ['ModelReady', 'ModelMetadata']) {
        const refused = await grpcRefusal(grpc.call(method, { name: 'digits', version: '' }, { metadata: bearer(IRIS_KEY.key) }));
        expect(Status[refused.code], method).toBe('PERMISSION_DENIED');
      }
      const ghost = await grpcRefusal(grpc.call('ModelMetadata', { name: 'ghost', version: '' }, { metadata: bearer(GHOST_KEY.key) }));
      expect([Status[ghost.code], ghost.details]).toEqual(['NOT_FOUND', 'model "ghost" not found; available models: iris']);
    });

    it('leaves ServerLive, ServerReady, ServerMetadata and grpc.health.v1 open', async () => {
      expect(await grpc.call('ServerLive', {})).toEqual({ live: true });
      expect(await grpc.call('ServerReady', {})).toEqual({ ready: true });
      expect((await grpc.call('ServerMetadata', {})).name).toBe('onnx-model-server');
      expect(await grpc.health('')).toBe('SERVING');
    });
  });

  it('names the caller in request lines, gRPC call lines and the prediction log; no line holds a key', async () => {
    await predict('iris', bearer(IRIS_KEY.key));
    await infer('iris', { 'x-api-key': IRIS_KEY.key });
    await grpc.call('ModelInfer', GRPC_INFER, { metadata: bearer(ALL_KEY.key) });
    await predict('iris', bearer(WRONG_KEY));
    await vi.waitFor(() => expect(lines.join('')).toContain('"protocol":"grpc"'));
    const parsed = lines.flatMap((chunk) => chunk.split('\n').filter(Boolean)).map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = parsed.filter((line) => line.msg === 'request completed' && line.status_code === 200 && String(line.url).includes('iris'));
    expect(requests.map((line) => line.caller)).toEqual(expect.arrayContaining(['team-iris']));
    expect(parsed.some((line) => line.msg === 'grpc call completed' && line.caller === 'ops')).toBe(true);
    for (const key of [IRIS_KEY.key, ALL_KEY.key, WRONG_KEY]) expect(lines.join('')).not.toContain(key);

    const entries = await vi.waitFor(() => {
      const written = readFileSync(path.join(logDir, 'predictions.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
      expect(written.length).toBeGreaterThanOrEqual(3);
      return written;
    });
    expect(new Set(entries.map((entry: { caller?: string }) => entry.caller))).toEqual(new Set(['team-iris', 'ops']));
  });

  it('refuses a key within seconds of its removal from the mounted file, without a restart; a broken file keeps the last good keys', async () => {
    volume.update(keysFileContent([ALL_KEY, GHOST_KEY]));
    await vi.waitFor(async () => expect((await predict('iris', bearer(IRIS_KEY.key))).statusCode).toBe(401), { timeout: 10_000, interval: 100 });
    await vi.waitFor(async () => expect((await grpcRefusal(grpc.call('ModelInfer', GRPC_INFER, { metadata: bearer(IRIS_KEY.key) }))).code).toBe(Status.UNAUTHENTICATED));
    expect((await infer('iris', bearer(IRIS_KEY.key))).statusCode).toBe(401);
    expect((await predict('iris', bearer(ALL_KEY.key))).statusCode).toBe(200);

    volume.update('{"keys": [{"id": "ops", "sha256": "abc", "models": ["iris"]}]}');
    const broken = async () => (await server.app.inject({ method: 'GET', url: '/health/ready' })).json().details.auth;
    await vi.waitFor(async () => expect((await broken()).api_keys.valid).toBe(false), { timeout: 10_000, interval: 100 });
    expect((await broken()).api_keys).toMatchObject({ keys: 2, problem: expect.stringContaining('keys[0].sha256 must be 64 hexadecimal digits') });
    expect((await server.app.inject({ method: 'GET', url: '/metrics' })).body).toContain('auth_file_valid{file="api_keys"} 0');
    expect((await predict('iris', bearer(ALL_KEY.key))).statusCode).toBe(200);
    const warnings = () => lines.filter((line) => line.includes('keys[0].sha256 must be 64 hexadecimal digits')).length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(warnings()).toBe(1);

    volume.update(keysFileContent([IRIS_KEY, ALL_KEY]));
    await vi.waitFor(async () => expect((await predict('iris', bearer(IRIS_KEY.key))).statusCode).toBe(200), { timeout: 10_000, interval: 100 });
    expect((await broken()).api_keys).toEqual({ file: volume.file, keys: 2, valid: true });
    expect((await server.app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/auth_refusals_total\{protocol="grpc",reason="unknown_key"\} [1-9]/);
  });
});

describe('PREDICT_AUTH=keys with RATE_LIMIT_MAX', () => {
  it('counts each caller on its own, and requests without a valid key against their IP address', async () => {
    const volume = new SecretVolume(keysFileContent([IRIS_KEY, ALL_KEY]));
    try {
      await withTestApp({ models: ['iris'], env: { PREDICT_AUTH: 'keys', API_KEYS_FILE: volume.file, RATE_LIMIT_MAX: '3' } }, async ({ app }) => {
        const get = (headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: '/v1/models/iris', headers });
        const statuses = async (headers: Record<string, string>, count: number) => {
          const seen: number[] = [];
          for (let i = 0; i < count; i++) seen.push((await get(headers)).statusCode);
          return seen;
        };
        expect(await statuses(bearer(IRIS_KEY.key), 4)).toEqual([200, 200, 200, 429]);
        expect(await statuses(bearer(ALL_KEY.key), 3)).toEqual([200, 200, 200]);
        expect(await statuses({}, 1)).toEqual([401]);
        expect(await statuses(bearer(WRONG_KEY), 3)).toEqual([401, 401, 429]);
      });
    } finally {
      volume.remove();
    }
  });
});

describe('PREDICT_AUTH=keys at start', () => {
  it('refuses to start on a broken keys file, naming every problem (main.ts asks before any process starts)', () => {
    const volume = new SecretVolume('{"keys": [{"id": "a", "sha256": "xyz", "models": []}, {"id": "a", "sha256": "' + 'ab'.repeat(32) + '", "models": ["iris", "no such"]}]}');
    try {
      expect(authFilesProblem(loadConfig({ PREDICT_AUTH: 'keys', API_KEYS_FILE: volume.file }))).toBe(
        `API_KEYS_FILE ${volume.file} keys[0].sha256 must be 64 hexadecimal digits: the SHA-256 of the key (e.g. printf %s "$KEY" | sha256sum); ` +
          'keys[0].models must list the models the key may use, or "*" for all; keys[1].id "a" is used twice; keys[1].models[1] "no such" is not a model name or "*"',
      );
      expect(authFilesProblem(loadConfig({ PREDICT_AUTH: 'keys', API_KEYS_FILE: `${volume.dir}/missing.json` }))).toMatch(
        /^API_KEYS_FILE .*missing\.json cannot be read \(ENOENT: no such file or directory/,
      );
      expect(() => loadConfig({ PREDICT_AUTH: 'keys' })).toThrow('API_KEYS_FILE="": API_KEYS_FILE is required when PREDICT_AUTH includes keys');
    } finally {
      volume.remove();
    }
  });
});

describe('PREDICT_AUTH=off (the default)', () => {
  const server = useTestApp({ models: ['iris'] });

  it('asks nothing, and its OpenAPI document shows no lock on any route', async () => {
    const answer = await server.app.inject({ method: 'POST', url: '/v1/models/iris/predict', headers: { 'content-type': 'application/json' }, payload: IRIS_BODY });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['www-authenticate']).toBeUndefined();
    const document = (await server.app.inject({ method: 'GET', url: '/docs-json' })).body;
    expect(document).not.toContain('x_api_key');
    expect(document).not.toContain('api_key_or_jwt');
    expect((await server.app.inject({ method: 'GET', url: '/metrics' })).body).not.toContain('auth_refusals_total');
  });
});
