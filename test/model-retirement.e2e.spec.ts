import { cp, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ModelRegistry } from '../src/model-registry/model-registry.service';
import { grpcClient, type GrpcTestClient } from './support/grpc-client';
import { useTestApp } from './support/test-app';
import { binaryBody, parseInferResponse } from './support/v2-wire';

// A version is deprecated and sunset per version in config.json (or the admin API): every answer it gives
// says so (RFC 9745 Deprecation, RFC 8594 Sunset, Link) on /v1, /v2 and gRPC, and no other version's does;
// after the sunset it keeps serving, or answers 410 Gone; its requests are counted for operators.

type Server = ReturnType<typeof useTestApp>;

const TOKEN = 'retirement-admin-token-0123456789';
const FLOWER = [5.1, 3.5, 1.4, 0.2];
const POLL = { MODEL_POLL_INTERVAL_MS: '50', MODEL_SETTLE_MS: '0' };

/** iris 1: deprecated since 2026, sunset far in the future, with a link. */
const IRIS = {
  default_version: 2,
  labels: { stable: 1, canary: 2 },
  versions: { '1': { deprecated: '2026-01-01T00:00:00Z', sunset: '2099-06-01T00:00:00Z', link: 'https://example.com/iris-v1' } },
};
const IRIS_NOTICE = {
  deprecation: '@1767225600',
  sunset: 'Mon, 01 Jun 2099 00:00:00 GMT',
  link: '<https://example.com/iris-v1>; rel="deprecation", <https://example.com/iris-v1>; rel="sunset"',
};
/** retired 1: past its sunset, refused. */
const RETIRED = {
  default_version: 2,
  versions: { '1': { deprecated: '1999-01-01T00:00:00Z', sunset: '2000-01-01T00:00:00Z', after_sunset: 'refuse', link: 'https://example.com/retired-v1' } },
};
const RETIRED_NOTICE = {
  deprecation: '@915148800',
  sunset: 'Sat, 01 Jan 2000 00:00:00 GMT',
  link: '<https://example.com/retired-v1>; rel="deprecation", <https://example.com/retired-v1>; rel="sunset"',
};
const RETIRED_MESSAGE = 'model "retired": version 1 was retired on 2000-01-01T00:00:00Z (its sunset) (see https://example.com/retired-v1); use the default version 2';
/** lingering 1: past its sunset (given alone: it deprecates the version), still served. */
const LINGERING = { default_version: 2, versions: { '1': { sunset: '2000-01-01T00:00:00Z' } } };

async function irisCopies(modelsDir: string): Promise<void> {
  for (const [name, config] of Object.entries({ retired: RETIRED, lingering: LINGERING })) {
    await cp(path.join(modelsDir, 'iris'), path.join(modelsDir, name), { recursive: true });
    await writeFile(path.join(modelsDir, name, 'config.json'), JSON.stringify(config));
  }
  await writeFile(path.join(modelsDir, 'iris', 'config.json'), JSON.stringify(IRIS));
}

const predict = (server: Server, model: string, version?: string) =>
  server.app.inject({
    method: 'POST',
    url: `/v1/models/${model}/predict`,
    headers: { 'content-type': 'application/json', ...(version ? { 'x-model-version': version } : {}) },
    payload: JSON.stringify({ instances: [FLOWER] }),
  });
const inferV2 = (server: Server, model: string, version: string) =>
  server.app.inject({
    method: 'POST',
    url: `/v2/models/${model}/versions/${version}/infer`,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: FLOWER }] }),
  });
const inferV2Binary = (server: Server, model: string, version: string) =>
  server.app.inject({
    method: 'POST',
    url: `/v2/models/${model}/versions/${version}/infer`,
    ...binaryBody(
      { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }], parameters: { binary_data_output: true } },
      [Buffer.from(Float32Array.from(FLOWER).buffer)],
    ),
  });
const admin = (server: Server, method: 'PUT' | 'DELETE', model: string, body?: object) =>
  server.app.inject({
    method,
    url: `/v1/admin/models/${model}/config`,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { payload: JSON.stringify(body) } : {}),
  });
const listed = async (server: Server, model: string) =>
  (await server.app.inject({ method: 'GET', url: '/v1/models' })).json().models.find((m: { name: string }) => m.name === model);

/** The three headers of a response (undefined where absent). */
const noticeOf = (headers: Record<string, unknown>) => ({ deprecation: headers.deprecation, sunset: headers.sunset, link: headers.link });
const NONE = { deprecation: undefined, sunset: undefined, link: undefined };

/** A sample's value in a scrape, or undefined when there is no such series. */
async function sample(server: Server, series: string): Promise<number | undefined> {
  const text = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
const deprecatedRequests = (model: string, version: number, outcome: 'served' | 'refused') =>
  `model_deprecated_requests_total{model="${model}",version="${version}",outcome="${outcome}"}`;

describe('a deprecated model version', () => {
  const server = useTestApp({ models: ['iris'], prepare: irisCopies, grpc: true, env: { ADMIN_TOKEN: TOKEN } });
  let client: GrpcTestClient;

  beforeAll(() => {
    client = grpcClient(server.grpcPort);
  });
  afterAll(() => client?.close());

  const grpcInfer = (model: string, version: string) =>
    client.callWithTrailer('ModelInfer', {
      model_name: model,
      model_version: version,
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: FLOWER } }],
    });

  it('says so on every /v1 answer: Deprecation, Sunset and Link, and on no answer of another version', async () => {
    for (const version of ['1', 'stable']) {
      const answer = await predict(server, 'iris', version);
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['x-model-version']).toBe('1');
      expect(noticeOf(answer.headers)).toEqual(IRIS_NOTICE);
    }
    for (const version of ['2', 'canary', undefined]) {
      const answer = await predict(server, 'iris', version);
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['x-model-version']).toBe('2');
      expect(noticeOf(answer.headers)).toEqual(NONE);
    }
    const metadata = await server.app.inject({ method: 'GET', url: '/v1/models/iris', headers: { 'x-model-version': '1' } });
    expect(noticeOf(metadata.headers)).toEqual(IRIS_NOTICE);
    expect(noticeOf((await server.app.inject({ method: 'GET', url: '/v1/models/iris' })).headers)).toEqual(NONE);
  });

  it('says so on /v2, JSON and binary alike, and on its metadata', async () => {
    for (const answer of [await inferV2(server, 'iris', '1'), await inferV2Binary(server, 'iris', '1')]) {
      expect(answer.statusCode).toBe(200);
      expect(noticeOf(answer.headers)).toEqual(IRIS_NOTICE);
    }
    const binary = await inferV2Binary(server, 'iris', '1');
    expect(binary.headers['content-type']).toBe('application/octet-stream');
    expect(parseInferResponse(binary.rawPayload, binary.headers).header.model_version).toBe('1');
    expect(noticeOf((await server.app.inject({ method: 'GET', url: '/v2/models/iris/versions/1' })).headers)).toEqual(IRIS_NOTICE);
    for (const answer of [await inferV2(server, 'iris', '2'), await inferV2Binary(server, 'iris', '2'), await server.app.inject({ method: 'GET', url: '/v2/models/iris' })]) {
      expect(answer.statusCode).toBe(200);
      expect(noticeOf(answer.headers)).toEqual(NONE);
    }
  });

  it('says so in the trailing metadata of gRPC answers, and of no other version', async () => {
    const deprecated = await grpcInfer('iris', '1');
    expect(deprecated.response.model_version).toBe('1');
    expect(deprecated.trailer.getMap()).toMatchObject(IRIS_NOTICE);
    const current = await grpcInfer('iris', '2');
    expect(current.response.model_version).toBe('2');
    expect(Object.keys(current.trailer.getMap())).not.toEqual(expect.arrayContaining(['deprecation']));
    expect(current.trailer.get('sunset')).toEqual([]);
    expect(current.trailer.get('link')).toEqual([]);
    const metadata = await client.callWithTrailer('ModelMetadata', { name: 'iris', version: '1' });
    expect(metadata.trailer.getMap()).toMatchObject(IRIS_NOTICE);
    expect((await client.callWithTrailer('ModelMetadata', { name: 'iris', version: '2' })).trailer.get('deprecation')).toEqual([]);
  });

  it('answers 410 Gone after a sunset that says "refuse", naming the default version, with the notice; gRPC FAILED_PRECONDITION', async () => {
    const v1 = await predict(server, 'retired', '1');
    expect(v1.statusCode).toBe(410);
    expect(v1.json()).toEqual({ statusCode: 410, error: 'Gone', code: 'VERSION_SUNSET', message: RETIRED_MESSAGE });
    expect(noticeOf(v1.headers)).toEqual(RETIRED_NOTICE);
    for (const v2 of [await inferV2(server, 'retired', '1'), await inferV2Binary(server, 'retired', '1')]) {
      expect(v2.statusCode).toBe(410);
      expect(v2.json()).toEqual({ error: RETIRED_MESSAGE });
      expect(noticeOf(v2.headers)).toEqual(RETIRED_NOTICE);
    }
    const refused = (await grpcInfer('retired', '1').then(
      () => {
        throw new Error('the call succeeded');
      },
      (error: ServiceError) => error,
    )) as ServiceError;
    expect(Status[refused.code]).toBe('FAILED_PRECONDITION');
    expect(refused.details).toBe(RETIRED_MESSAGE);
    expect(refused.metadata.getMap()).toMatchObject(RETIRED_NOTICE);
    // The default version serves on, unmarked.
    const current = await predict(server, 'retired');
    expect(current.statusCode).toBe(200);
    expect(noticeOf(current.headers)).toEqual(NONE);
  });

  it('refuses requests that name no version too when the default is the retired version, and says what to do', async () => {
    expect((await admin(server, 'PUT', 'retired', { default_version: 1 })).statusCode).toBe(200);
    try {
      const answer = await predict(server, 'retired');
      expect(answer.statusCode).toBe(410);
      expect(answer.json().message).toBe(
        'model "retired": version 1 was retired on 2000-01-01T00:00:00Z (its sunset) (see https://example.com/retired-v1); ' +
          'it is the default version too, so requests that name no version are refused as well: make another version the default',
      );
      // The pod stays ready: a retired default is the model's config to fix, not a reason to leave the Service.
      expect((await server.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    } finally {
      expect((await admin(server, 'DELETE', 'retired')).statusCode).toBe(200);
    }
  });

  it('keeps serving after a sunset that says "serve" (the default), with the notice', async () => {
    const answer = await predict(server, 'lingering', '1');
    expect(answer.statusCode).toBe(200);
    // A sunset alone deprecates the version; configured after its sunset, it is deprecated since then.
    expect(noticeOf(answer.headers)).toEqual({ deprecation: '@946684800', sunset: 'Sat, 01 Jan 2000 00:00:00 GMT', link: undefined });
    expect(noticeOf((await inferV2(server, 'lingering', '1')).headers)).toMatchObject({ sunset: 'Sat, 01 Jan 2000 00:00:00 GMT' });
    expect((await grpcInfer('lingering', '1')).trailer.get('sunset')).toEqual(['Sat, 01 Jan 2000 00:00:00 GMT']);
  });

  it('counts the requests of deprecated versions only, served and refused, on every protocol', async () => {
    const before = {
      served: (await sample(server, deprecatedRequests('iris', 1, 'served'))) ?? 0,
      refused: (await sample(server, deprecatedRequests('retired', 1, 'refused'))) ?? 0,
    };
    await predict(server, 'iris', '1');
    await inferV2(server, 'iris', '1');
    await grpcInfer('iris', '1');
    await predict(server, 'iris', '2');
    await predict(server, 'retired', '1');
    await inferV2(server, 'retired', '1');
    expect(await sample(server, deprecatedRequests('iris', 1, 'served'))).toBe(before.served + 3);
    expect(await sample(server, deprecatedRequests('retired', 1, 'refused'))).toBe(before.refused + 2);
    expect(await sample(server, deprecatedRequests('iris', 1, 'refused'))).toBeUndefined();
    const text = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).not.toMatch(/model_deprecated_requests_total\{model="(iris|retired|lingering)",version="2"/);
    // The refusals are answers of the version too: counted by outcome in model_predictions_total.
    expect(text).toMatch(/model_predictions_total\{model="retired",version="1",outcome="invalid_input",protocol="http"\} [1-9]/);
    expect(await sample(server, 'model_version_sunset_timestamp_seconds{model="iris",version="1"}')).toBe(Date.UTC(2099, 5, 1) / 1000);
    expect(await sample(server, 'model_version_sunset_timestamp_seconds{model="iris",version="2"}')).toBeUndefined();
  });

  it('is listed by GET /v1/models with its deprecation, and only the versions a config deprecates are', async () => {
    const iris = await listed(server, 'iris');
    expect(iris.versions[0]).toMatchObject({ version: 1, state: 'READY', deprecated: '2026-01-01T00:00:00Z', sunset: '2099-06-01T00:00:00Z', after_sunset: 'serve', link: 'https://example.com/iris-v1' });
    expect(Object.keys(iris.versions[1])).not.toEqual(expect.arrayContaining(['deprecated']));
    expect((await listed(server, 'retired')).versions[0]).toMatchObject({ deprecated: '1999-01-01T00:00:00Z', after_sunset: 'refuse' });
    expect((await listed(server, 'lingering')).versions[0]).toMatchObject({ deprecated: true, sunset: '2000-01-01T00:00:00Z', after_sunset: 'serve' });
  });

  it('is set through the admin API too: per version, over config.json, and cleared back to it', async () => {
    const set = await admin(server, 'PUT', 'iris', { versions: { '2': { deprecated: '2026-06-01T00:00:00Z', link: 'https://example.com/iris-v2' } } });
    expect(set.statusCode).toBe(200);
    expect(set.json().versions[1]).toMatchObject({ version: 2, deprecated: '2026-06-01T00:00:00Z', link: 'https://example.com/iris-v2' });
    try {
      const v2 = await predict(server, 'iris');
      expect(v2.headers['x-model-version']).toBe('2');
      expect(noticeOf(v2.headers)).toEqual({ deprecation: '@1780272000', sunset: undefined, link: '<https://example.com/iris-v2>; rel="deprecation"' });
      // A version the run-time config does not name keeps config.json's deprecation.
      expect(noticeOf((await predict(server, 'iris', '1')).headers)).toEqual(IRIS_NOTICE);
      // An entry replaces config.json's whole: {} takes version 1's deprecation away.
      expect((await admin(server, 'PUT', 'iris', { versions: { '1': {} } })).statusCode).toBe(200);
      expect(noticeOf((await predict(server, 'iris', '1')).headers)).toEqual(NONE);
      expect(noticeOf((await predict(server, 'iris', '2')).headers)).toEqual(NONE);
    } finally {
      expect((await admin(server, 'DELETE', 'iris')).statusCode).toBe(200);
    }
    expect(noticeOf((await predict(server, 'iris', '1')).headers)).toEqual(IRIS_NOTICE);
    expect(noticeOf((await predict(server, 'iris', '2')).headers)).toEqual(NONE);
  });

  it('is documented in OpenAPI: the headers of the answers, and the 410 of /v1 and /v2 inference', async () => {
    const document = (await server.app.inject({ method: 'GET', url: '/docs-json' })).json();
    for (const route of ['/v1/models/{name}/predict', '/v2/models/{name}/infer', '/v2/models/{name}/versions/{version}/infer']) {
      const responses = document.paths[route].post.responses;
      expect(Object.keys(responses['200'].headers ?? {}), route).toEqual(['Deprecation', 'Sunset', 'Link']);
      expect(responses['410'].description, route).toContain('VERSION_SUNSET');
      expect(Object.keys(responses['410'].headers ?? {}), route).toEqual(['Deprecation', 'Sunset', 'Link']);
    }
    expect(Object.keys(document.paths['/v1/models/{name}'].get.responses['200'].headers ?? {})).toEqual(['Deprecation', 'Sunset', 'Link']);
    const version = document.components.schemas.VersionSummaryDto.properties;
    expect(Object.keys(version)).toEqual(expect.arrayContaining(['deprecated', 'sunset', 'after_sunset', 'link']));
    const adminVersions = document.components.schemas.ModelConfigDto.properties.versions;
    expect(Object.keys(adminVersions.additionalProperties.properties)).toEqual(['deprecated', 'sunset', 'link', 'after_sunset']);
  });

  it('is refused by the admin API with a sha256, or with keys that do not go together, naming what is wrong', async () => {
    const digest = await admin(server, 'PUT', 'iris', { versions: { '1': { deprecated: true, sha256: 'ab'.repeat(32) } } });
    expect(digest.statusCode).toBe(422);
    expect(digest.json()).toMatchObject({
      code: 'INVALID_INPUT',
      message:
        "request body: versions.1: sha256 is set in the model's config.json only (a digest describes the files on disk, not a run-time choice); " +
        'the run-time config sets deprecated, sunset, link, after_sunset',
    });
    for (const [versions, message] of [
      [{ '1': { deprecated: '2027-06-01T00:00:00Z', sunset: '2027-01-01T00:00:00Z' } }, 'request body: versions.1: sunset 2027-01-01T00:00:00Z is before deprecated 2027-06-01T00:00:00Z'],
      [{ '1': { deprecated: true, after_sunset: 'refuse' } }, 'request body: versions.1: after_sunset "refuse" needs a sunset'],
      [{ '9': { deprecated: true } }, 'model "iris" has no version 9'],
    ] as const) {
      const refused = await admin(server, 'PUT', 'iris', { versions });
      expect(refused.statusCode, refused.body).toBe(422);
      expect(refused.json().message).toContain(message);
    }
    expect(noticeOf((await predict(server, 'iris', '1')).headers)).toEqual(IRIS_NOTICE);
  });
});

describe('a deprecation changed in config.json while the server runs', () => {
  const server = useTestApp({ models: ['iris'], env: POLL });
  const file = () => path.join(server.modelsDir, 'iris', 'config.json');
  /** Written whole under a new inode, so every poll sees a change, however fast they come. */
  const writeConfig = async (config: unknown) => {
    await writeFile(`${file()}.tmp`, typeof config === 'string' ? config : JSON.stringify(config));
    await rename(`${file()}.tmp`, file());
  };
  const sessionOf = (version: number) => server.app.get(ModelRegistry).get('iris').versions.find((v) => v.version === version)?.ready;

  it('applies on the next poll without reloading the session, and goes away as it came', async () => {
    const session = sessionOf(1);
    expect(noticeOf((await predict(server, 'iris', '1')).headers)).toEqual(NONE);
    await writeConfig({ default_version: 1, versions: { '1': { deprecated: '2026-01-01T00:00:00Z', sunset: '2099-06-01T00:00:00Z' } } });
    await vi.waitFor(async () => expect((await predict(server, 'iris', '1')).headers.sunset).toBe('Mon, 01 Jun 2099 00:00:00 GMT'), { timeout: 5000 });
    expect(sessionOf(1)).toBe(session);
    await writeConfig({ default_version: 1, versions: { '1': { sunset: '2000-01-01T00:00:00Z', after_sunset: 'refuse' } } });
    await vi.waitFor(async () => expect((await predict(server, 'iris', '1')).statusCode).toBe(410), { timeout: 5000 });
    await writeConfig({ default_version: 1 });
    await vi.waitFor(async () => expect(noticeOf((await predict(server, 'iris', '1')).headers)).toEqual(NONE), { timeout: 5000 });
    expect(sessionOf(1)).toBe(session);
  });

  it('refuses a bad deprecation as any bad config.json: the error names file, version and fault, and the model serves on', async () => {
    const good = { default_version: 1, versions: { '2': { deprecated: true } } };
    await writeConfig(good);
    await vi.waitFor(async () => expect((await predict(server, 'iris', '2')).headers.deprecation).toBeDefined(), { timeout: 5000 });
    const bad: Array<[unknown, string]> = [
      [{ '2': { deprecated: 'tomorrow' } }, 'iris/config.json: versions.2: deprecated must be true, false or an RFC 3339 date-time'],
      [{ '2': { sunset: '2027-02-30T00:00:00Z' } }, 'iris/config.json: versions.2: sunset must be an RFC 3339 date-time with a time zone, such as "2027-12-01T00:00:00Z"; got "2027-02-30T00:00:00Z": day 30 does not exist in 2027-02'],
      [{ '2': { deprecated: true, link: 'not a url' } }, 'iris/config.json: versions.2: link must be an absolute http or https URL'],
      [{ '2': { after_sunset: 'refuse' } }, 'iris/config.json: versions.2: after_sunset "refuse" needs a sunset'],
      [{ '2': { deprecated: '2027-06-01T00:00:00Z', sunset: '2026-06-01T00:00:00Z' } }, 'iris/config.json: versions.2: sunset 2026-06-01T00:00:00Z is before deprecated 2027-06-01T00:00:00Z'],
      [{ '2': { deprecated: true, after_sunset: ['refuse'] } }, 'iris/config.json: versions.2: after_sunset must be "serve" or "refuse"; got an array'],
      [{ '2': { deprecated: { constructor: 1 } } }, 'iris/config.json: versions.2: deprecated must be true, false or an RFC 3339 date-time'],
      [{ '2': { deprecated: true, link: `https://example.com/${'x'.repeat(5000)}` } }, 'more than 2048'],
    ];
    for (const [versions, reason] of bad) {
      await writeConfig({ default_version: 1, versions });
      await vi.waitFor(async () => expect((await listed(server, 'iris')).config_error?.reason ?? '').toContain(reason), { timeout: 5000 });
      // The last good config stays in force: version 2 still deprecated, both versions serving, the pod ready.
      expect((await listed(server, 'iris')).config_error.in_force).toBe('last_good');
      expect(noticeOf((await predict(server, 'iris', '2')).headers).deprecation).toMatch(/^@\d+$/);
      expect((await predict(server, 'iris', '1')).statusCode).toBe(200);
      expect((await server.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    }
    await writeConfig(good);
    await vi.waitFor(async () => expect((await listed(server, 'iris')).config_error).toBeUndefined(), { timeout: 5000 });
  });
});

describe('a bad deprecation in config.json at start', () => {
  const server = useTestApp({
    models: ['iris', 'digits'],
    prepare: (modelsDir) => writeFile(path.join(modelsDir, 'digits', 'config.json'), JSON.stringify({ versions: { '1': { sunset: 'next year' } } })),
  });

  it('fails that model with the reason, and the other models and the pod serve', async () => {
    const reason =
      'digits/config.json: versions.1: sunset must be an RFC 3339 date-time with a time zone, such as "2027-12-01T00:00:00Z"; ' +
      'got "next year": not of the form YYYY-MM-DDThh:mm:ss with a time zone (Z or ±hh:mm)';
    expect(await listed(server, 'digits')).toMatchObject({ config_error: { reason, in_force: 'none' } });
    expect((await server.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    expect((await predict(server, 'iris')).statusCode).toBe(200);
  });
});
