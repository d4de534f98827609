import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, hostileCredentials, ISSUER, jwksOf, keysFileContent, SecretVolume, signingKey } from './support/auth';
import { type Json, PROTOTYPE_MEMBER_KEYS, withKeysInserted } from './support/json-mutations';
import { multipartBody } from './support/multipart';
import { useTestApp } from './support/test-app';
import { binaryBody } from './support/v2-wire';

/**
 * Property-based fuzzing of every route a client can reach: generated bodies,
 * headers and paths. The property: every answer is a 4xx whose body names the
 * problem, or a 2xx with a well-formed answer; never a 5xx, a crash or a hang.
 * The seed is fixed (printed by fast-check on failure, with the shrunk case),
 * so a failure found in CI replays exactly; FUZZ_SEED=<n> explores other cases.
 * Every body generator also puts keys named after Object.prototype members
 * (and `__proto__`) into objects at random depths: into every object and map
 * a route takes (instances, tensors, parameters, labels, weights).
 * 7 route families x 2,000 runs: 14,000 generated cases per run (the last with PREDICT_AUTH on:
 * hostile Authorization and X-API-Key headers on every model route).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const TOKEN = 'fuzz-admin-token-0123456789';
const RUNS_PER_ROUTE_FAMILY = 2_000;

const PROTOTYPE_KEYS = [...PROTOTYPE_MEMBER_KEYS, '__proto__'];
const FIELD_NAMES = ['instances', 'inputs', 'outputs', 'name', 'shape', 'datatype', 'data', 'parameters', 'id', 'top_k',
  'binary_data_size', 'binary_data', 'binary_data_output', 'labels', 'weights', 'default_version', 'sepal_length', 'input', 'probabilities'];
const DATATYPES = ['FP32', 'FP64', 'FP16', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT64', 'BOOL', 'BYTES', 'fp32', 'BF16', ''];

/** JSON values biased towards what the routes read: known keys, prototype member names, arrays where objects belong. */
const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -1, 1, 1.5, 4, 28, 2 ** 31, 2 ** 53 + 1, -0, 1e308, '', 'x', 'FP32', 'input', '1', 'NaN'),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 12 }),
    fc.constantFrom(...DATATYPES),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 40 }),
    fc.dictionary(fc.constantFrom(...FIELD_NAMES, ...PROTOTYPE_KEYS, 'extra'), tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** Prototype-named keys put into a body's objects, at whatever depth they are (json-mutations.ts). */
const prototypeKeysIn = (body: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc
    .tuple(body, fc.array(fc.record({ at: fc.nat(), key: fc.constantFrom(...PROTOTYPE_KEYS), value: json }), { maxLength: 3 }))
    .map(([value, insertions]) => withKeysInserted(value as Json, insertions as { at: number; key: string; value: Json }[]));

/** Bodies shaped like the real requests, with any field replaced by anything. */
const v1Body = prototypeKeysIn(fc.oneof(
  json,
  fc.record({ instances: fc.oneof(json, fc.array(fc.oneof(json, fc.array(fc.double({ noNaN: true }), { minLength: 4, maxLength: 4 })), { maxLength: 4 })) }, { requiredKeys: [] }),
  fc.dictionary(fc.constantFrom('instances', ...PROTOTYPE_KEYS), json, { maxKeys: 3 }),
));
const v2Tensor = fc.record(
  { name: fc.oneof(fc.constant('input'), json), shape: fc.oneof(fc.constant([1, 4]), json), datatype: fc.oneof(fc.constantFrom(...DATATYPES), json), data: json, parameters: json },
  { requiredKeys: [] },
);
const v2Body = prototypeKeysIn(fc.oneof(
  json,
  fc.record({ inputs: fc.oneof(json, fc.array(fc.oneof(v2Tensor, json), { maxLength: 3 })), outputs: fc.oneof(json, fc.array(json, { maxLength: 3 })), id: json, parameters: json }, { requiredKeys: [] }),
));
/** Admin config bodies: the fields, the maps with known and prototype-named keys, anything in their place. */
const configMap = fc.oneof(json, fc.dictionary(fc.oneof(fc.constantFrom('1', '2', '3', 'stable', 'canary', 'x', ...PROTOTYPE_KEYS), fc.string({ maxLength: 6 })), json, { maxKeys: 4 }));
const adminBody = prototypeKeysIn(
  fc.oneof(json, fc.record({ default_version: json, labels: configMap, weights: configMap }, { requiredKeys: [] }), fc.dictionary(fc.constantFrom(...PROTOTYPE_KEYS, 'labels', 'canary'), json, { maxKeys: 3 })),
);
const modelName = fc.oneof(fc.constantFrom('iris', 'digits', 'nope', ...PROTOTYPE_KEYS.filter((key) => key !== '__proto__')), fc.string({ maxLength: 8 }).map(encodeURIComponent));
const versionHeader = fc.option(fc.oneof(fc.constantFrom('1', '2', '0', '-1', 'stable', 'canary', 'constructor', 'toString', '1.5', '99999999999'), fc.string({ maxLength: 8 })), { nil: undefined });
const requestKey = fc.option(fc.string({ maxLength: 12 }), { nil: undefined });

interface Answer {
  statusCode: number;
  body: string;
  headers: Record<string, unknown>;
}

/** The property every answer must have. */
function expectWellFormed(answer: Answer, what: string): void {
  expect(answer.statusCode, `${what} -> ${answer.statusCode} ${answer.body.slice(0, 300)}`).toBeLessThan(500);
  if (answer.statusCode >= 400) {
    const message = errorMessage(answer);
    expect(message.length > 0, `${what}: an error must say what was wrong: ${answer.body.slice(0, 200)}`).toBe(true);
    // A key the refusal could not name showed as "undefined" ("undefined: an unknown value was passed...").
    expect(message, `${what}: an error must name what was wrong`).not.toMatch(/(^|[\s.])undefined\b/);
  }
}

function errorMessage(answer: Answer): string {
  const body = JSON.parse(answer.body) as { message?: unknown; error?: unknown };
  const message = typeof body.message === 'string' ? body.message : body.error;
  return typeof message === 'string' ? message : '';
}

function headersFor(version: string | undefined, key: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { ...extra };
  // Header values must be printable; others are refused by the HTTP layer before any route, not by us.
  if (version !== undefined && /^[\x20-\x7e]*$/.test(version)) headers['x-model-version'] = version;
  if (key !== undefined && /^[\x20-\x7e]*$/.test(key)) headers['x-request-key'] = key;
  return headers;
}

describe('fuzzing every route with generated requests', () => {
  const server = useTestApp({ models: ['iris', 'digits'], env: { ADMIN_TOKEN: TOKEN, MODEL_POLL_INTERVAL_MS: '0' } });

  const run = (property: fc.IAsyncProperty<never> | fc.IAsyncPropertyWithHooks<never>) =>
    fc.assert(property, { seed: SEED, numRuns: RUNS_PER_ROUTE_FAMILY, verbose: 1 });

  it('/v1 predict (JSON) and model metadata', async () => {
    await run(
      fc.asyncProperty(modelName, versionHeader, requestKey, v1Body, fc.constantFrom('', '?top_k=3', '?top_k=0', '?top_k=x', '?toString=1'), async (name, version, key, body, query) => {
        const headers = headersFor(version, key, { 'content-type': 'application/json' });
        const predict = await server.app.inject({ method: 'POST', url: `/v1/models/${name}/predict${query}`, headers, payload: JSON.stringify(body) ?? 'null' });
        expectWellFormed(predict, `POST /v1/models/${name}/predict ${JSON.stringify(body)?.slice(0, 200)}`);
        if (predict.statusCode === 200) expect(Array.isArray(JSON.parse(predict.body).predictions)).toBe(true);
        const metadata = await server.app.inject({ method: 'GET', url: `/v1/models/${name}`, headers: headersFor(version, key) });
        expectWellFormed(metadata, `GET /v1/models/${name}`);
      }) as never,
    );
  });

  it('/v2 infer (JSON, and binary after a JSON header) and model metadata', async () => {
    await run(
      fc.asyncProperty(modelName, versionHeader, v2Body, fc.uint8Array({ maxLength: 64 }), fc.boolean(), fc.option(fc.constantFrom('1', '2', 'x', '0'), { nil: undefined }), async (name, version, body, bytes, binary, pathVersion) => {
        const header = Buffer.from(JSON.stringify(body) ?? 'null');
        const url = `/v2/models/${name}${pathVersion === undefined ? '' : `/versions/${pathVersion}`}/infer`;
        const framed = binaryBody(header, [Buffer.from(bytes)]);
        const answer = binary
          ? await server.app.inject({ method: 'POST', url, headers: headersFor(version, undefined, framed.headers), payload: framed.payload })
          : await server.app.inject({ method: 'POST', url, headers: headersFor(version, undefined, { 'content-type': 'application/json' }), payload: header });
        expectWellFormed(answer, `POST ${url} ${binary ? 'binary' : 'json'} ${header.toString().slice(0, 200)}`);
        if (answer.statusCode === 200 && !binary) expect(Array.isArray(JSON.parse(answer.body).outputs)).toBe(true);
        const metadata = await server.app.inject({ method: 'GET', url: `/v2/models/${name}${pathVersion === undefined ? '' : `/versions/${pathVersion}`}`, headers: headersFor(version, undefined) });
        expectWellFormed(metadata, `GET /v2/models/${name}`);
      }) as never,
    );
  });

  it('/v1 predict with multipart uploads', async () => {
    await run(
      fc.asyncProperty(
        fc.constantFrom('digits', 'iris', 'nope'),
        fc.array(fc.record({ field: fc.constantFrom('image', 'file', 'toString'), filename: fc.string({ maxLength: 8 }), data: fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.constant(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) }), { maxLength: 3 }),
        async (name, files) => {
          const { payload, headers } = await multipartBody(files.map((file) => ({ field: file.field, filename: file.filename || 'f', data: Buffer.from(file.data) })));
          const answer = await server.app.inject({ method: 'POST', url: `/v1/models/${name}/predict`, headers, payload });
          expectWellFormed(answer, `multipart to ${name} with ${files.length} files`);
        },
      ) as never,
    );
  });

  it('the admin API, with the token: every route and method', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const routes = ['PUT config', 'DELETE config', 'load', 'unload', 'reload', 'rescan', 'any'] as const;
    await run(
      fc.asyncProperty(
        modelName,
        fc.constantFrom(...routes),
        fc.oneof(fc.constantFrom('1', '2', '3', '0', 'x', '99999999999'), fc.string({ maxLength: 4 }).map(encodeURIComponent)),
        adminBody,
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.constantFrom('config', 'reload', 'versions/1/load', 'versions/2/unload', ''),
        async (name, route, version, body, method, tail) => {
          const base = `/v1/admin/models/${name}`;
          const json = { ...auth, 'content-type': 'application/json' };
          const payload = JSON.stringify(body) ?? 'null';
          const answer =
            route === 'PUT config'
              ? await server.app.inject({ method: 'PUT', url: `${base}/config`, headers: json, payload })
              : route === 'DELETE config'
                ? await server.app.inject({ method: 'DELETE', url: `${base}/config`, headers: auth })
                : route === 'reload'
                  ? await server.app.inject({ method: 'POST', url: `${base}/reload`, headers: auth })
                  : route === 'rescan'
                    ? await server.app.inject({ method: 'POST', url: '/v1/admin/rescan', headers: json, payload })
                    : route === 'any'
                      ? // Any method on any admin path, with a body: a route that takes none must still answer 2xx or 4xx.
                        await server.app.inject({ method, url: tail ? `${base}/${tail}` : '/v1/admin/rescan', headers: json, payload })
                      : await server.app.inject({ method: 'POST', url: `${base}/versions/${version}/${route}`, headers: auth });
          expectWellFormed(answer, `${route} ${method} ${base} ${version} ${tail} ${payload.slice(0, 200)}`);
          // Whatever the admin calls did, the pod must still serve and be ready.
          expect((await server.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
        },
      ) as never,
    );
  });

  it('a prototype-named key at any depth of a valid body: taken, or refused naming it', async () => {
    const iris = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
    const tensor = { name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2], parameters: { note: 'x' } };
    const valid: Record<string, Json> = {
      v1: { instances: [iris, [6.7, 3.0, 5.2, 2.3]] },
      v2: { id: 'a', parameters: { priority: 1 }, inputs: [tensor], outputs: [{ name: 'probabilities', parameters: { binary_data: false } }] },
      admin: { default_version: 1, labels: { stable: 1, canary: 2 }, weights: { '1': 90, '2': 10 }, shadow: { version: 'canary', sample: 0.5 } },
    };
    const auth = { authorization: `Bearer ${TOKEN}` };
    await run(
      fc.asyncProperty(
        fc.constantFrom('v1', 'v2', 'v2 binary', 'admin'),
        fc.nat(),
        fc.constantFrom(...PROTOTYPE_KEYS),
        fc.constantFrom<Json>(1, 'x', { a: 1 }, [1], null),
        async (target, at, key, value) => {
          const body = withKeysInserted(valid[target.split(' ')[0]], [{ at, key, value }]);
          const header = Buffer.from(JSON.stringify(body));
          const answer =
            target === 'v1'
              ? await server.app.inject({ method: 'POST', url: '/v1/models/iris/predict', headers: { 'content-type': 'application/json' }, payload: header })
              : target === 'v2'
                ? await server.app.inject({ method: 'POST', url: '/v2/models/iris/infer', headers: { 'content-type': 'application/json' }, payload: header })
                : target === 'v2 binary'
                  ? await server.app.inject({ method: 'POST', url: '/v2/models/iris/infer', ...binaryBody(header, []) })
                  : await server.app.inject({ method: 'PUT', url: '/v1/admin/models/iris/config', headers: { ...auth, 'content-type': 'application/json' }, payload: header });
          const what = `${target} ${header.toString().slice(0, 300)}`;
          expectWellFormed(answer, what);
          if (answer.statusCode >= 400) expect(errorMessage(answer), `${what}: the refusal must name the key`).toContain(key);
          if (target === 'admin') await server.app.inject({ method: 'DELETE', url: '/v1/admin/models/iris/config', headers: auth });
        },
      ) as never,
    );
  });

  it('arbitrary paths and methods', async () => {
    await run(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
        fc.array(fc.oneof(fc.constantFrom('v1', 'v2', 'models', 'iris', 'predict', 'infer', 'versions', '1', 'ready', 'health', 'admin', 'docs', '..', '%2e%2e', '%', '%E0%A4%A', 'constructor'), fc.string({ maxLength: 6 }).map(encodeURIComponent)), { maxLength: 6 }),
        fc.string({ maxLength: 20 }),
        async (method, segments, query) => {
          const url = `/${segments.join('/')}${query ? `?${encodeURIComponent(query)}` : ''}`;
          const answer = await server.app.inject({ method: method as 'GET', url });
          expect(answer.statusCode, `${method} ${url}`).toBeLessThan(500);
          if (answer.statusCode >= 400 && method !== 'HEAD' && answer.body) expectWellFormed(answer, `${method} ${url}`);
        },
      ) as never,
    );
  });
});

describe('fuzzing the credentials of the model APIs (PREDICT_AUTH=keys,jwt)', () => {
  const KEY = 'fuzz-api-key-7c1e9a3b5d';
  const volume = new SecretVolume(keysFileContent([{ id: 'fuzzer', key: KEY, models: ['iris'] }]));
  const jwksFile = path.join(volume.dir, 'jwks.json');
  beforeAll(async () => writeFileSync(jwksFile, jwksOf([await signingKey('file-1', 'ES256')])));
  afterAll(() => volume.remove());
  const server = useTestApp({
    models: ['iris', 'digits'],
    env: { PREDICT_AUTH: 'keys,jwt', API_KEYS_FILE: volume.file, JWT_JWKS_FILE: jwksFile, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, MODEL_POLL_INTERVAL_MS: '0' },
  });
  const { authorization, apiKey } = hostileCredentials(KEY);
  const routes = [
    ['GET', '/v1/models'],
    ['GET', '/v1/models/{name}'],
    ['POST', '/v1/models/{name}/predict'],
    ['GET', '/v1/models/{name}/drift'],
    ['GET', '/v1/models/{name}/shadow'],
    ['POST', '/v2/models/{name}/infer'],
    ['GET', '/v2/models/{name}/ready'],
  ] as const;

  it('hostile Authorization and X-API-Key headers: a 4xx naming the problem without echoing the credential, or an answer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.constantFrom('iris', 'digits', 'nope', 'constructor'), authorization, apiKey, async ([method, route], name, auth, key) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (auth !== undefined) headers.authorization = auth;
        if (key !== undefined) headers['x-api-key'] = key;
        const url = route.replace('{name}', name);
        const answer = await server.app.inject({ method, url, headers, ...(method === 'POST' ? { payload: '{"instances": [], "inputs": []}' } : {}) });
        const what = `${method} ${url} authorization=${JSON.stringify(auth)?.slice(0, 120)} x-api-key=${JSON.stringify(key)?.slice(0, 120)}`;
        expectWellFormed(answer, what);
        if (answer.statusCode === 401) expect(answer.headers['www-authenticate'], what).toMatch(/^Bearer realm="onnx-model-server"/);
        for (const sent of [auth, key]) {
          const credential = sent?.replace(/^\S+\s+/, '');
          if (credential && credential.length >= 16) expect(answer.body, `${what}: the credential is echoed`).not.toContain(credential);
        }
      }) as never,
      { seed: SEED, numRuns: RUNS_PER_ROUTE_FAMILY, verbose: 1 },
    );
  });
});
