import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROTOTYPE_MEMBER_KEYS } from './support/json-mutations';
import { multipartBody } from './support/multipart';
import { useTestApp } from './support/test-app';
import { binaryBody } from './support/v2-wire';

/**
 * Property-based fuzzing of every route a client can reach: generated bodies,
 * headers and paths. The property: every answer is a 4xx whose body names the
 * problem, or a 2xx with a well-formed answer; never a 5xx, a crash or a hang.
 * The seed is fixed (printed by fast-check on failure, with the shrunk case),
 * so a failure found in CI replays exactly; FUZZ_SEED=<n> explores other cases.
 * 5 route families x 2,000 runs: 10,000 generated cases per run.
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

/** Bodies shaped like the real requests, with any field replaced by anything. */
const v1Body = fc.oneof(
  json,
  fc.record({ instances: fc.oneof(json, fc.array(fc.oneof(json, fc.array(fc.double({ noNaN: true }), { minLength: 4, maxLength: 4 })), { maxLength: 4 })) }, { requiredKeys: [] }),
  fc.dictionary(fc.constantFrom('instances', ...PROTOTYPE_KEYS), json, { maxKeys: 3 }),
);
const v2Tensor = fc.record(
  { name: fc.oneof(fc.constant('input'), json), shape: fc.oneof(fc.constant([1, 4]), json), datatype: fc.oneof(fc.constantFrom(...DATATYPES), json), data: json, parameters: json },
  { requiredKeys: [] },
);
const v2Body = fc.oneof(
  json,
  fc.record({ inputs: fc.oneof(json, fc.array(fc.oneof(v2Tensor, json), { maxLength: 3 })), outputs: fc.oneof(json, fc.array(json, { maxLength: 3 })), id: json, parameters: json }, { requiredKeys: [] }),
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
    const body = JSON.parse(answer.body) as { message?: unknown; error?: unknown };
    const message = typeof body.message === 'string' ? body.message : body.error;
    expect(typeof message === 'string' && message.length > 0, `${what}: an error must say what was wrong: ${answer.body.slice(0, 200)}`).toBe(true);
  }
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

  it('the admin API, with the token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    await run(
      fc.asyncProperty(
        modelName,
        fc.constantFrom('PUT config', 'DELETE config', 'load', 'unload', 'reload'),
        fc.oneof(fc.constantFrom('1', '2', '3', '0', 'x', '99999999999'), fc.string({ maxLength: 4 }).map(encodeURIComponent)),
        fc.oneof(json, fc.record({ default_version: json, labels: json, weights: json }, { requiredKeys: [] }), fc.dictionary(fc.constantFrom(...PROTOTYPE_KEYS, 'labels'), json, { maxKeys: 3 })),
        async (name, action, version, body) => {
          const base = `/v1/admin/models/${name}`;
          const answer =
            action === 'PUT config'
              ? await server.app.inject({ method: 'PUT', url: `${base}/config`, headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) ?? 'null' })
              : action === 'DELETE config'
                ? await server.app.inject({ method: 'DELETE', url: `${base}/config`, headers: auth })
                : action === 'reload'
                  ? await server.app.inject({ method: 'POST', url: `${base}/reload`, headers: auth })
                  : await server.app.inject({ method: 'POST', url: `${base}/versions/${version}/${action}`, headers: auth });
          expectWellFormed(answer, `${action} ${base} ${version} ${JSON.stringify(body)?.slice(0, 200)}`);
          // Whatever the admin calls did, the pod must still serve and be ready.
          expect((await server.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
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
