import { describe, expect, it } from 'vitest';
import { multipartBody } from './support/multipart';
import { useTestApp } from './support/test-app';

/**
 * Which refusal a /v2 request with several problems gets: the checks of the REST controller's parameters
 * run in a fixed order (the body's encoding, then X-Request-Timeout-Ms, then X-Model-Version and
 * X-Request-Key, then the model and version, then the body itself), and the first that fails answers.
 * A route with a version in its path never reads the version headers.
 */
describe('/v2 REST: the order of the checks', () => {
  const server = useTestApp({ models: ['iris'] });
  const IRIS = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }] });
  const BAD_HEADERS = { 'x-request-timeout-ms': 'soon', 'x-model-version': 'no such label!', 'x-request-key': 'k'.repeat(300) };

  const post = (url: string, headers: Record<string, string>, payload: string | Buffer) => server.app.inject({ method: 'POST', url, headers, payload });
  const refusal = async (answer: Promise<{ statusCode: number; body: string; headers: Record<string, unknown> }>) => {
    const { statusCode, body, headers } = await answer;
    return { status: statusCode, error: (JSON.parse(body) as { error: string }).error, version: headers['x-model-version'] };
  };

  it('a multipart or compressed body is refused before any header is read', async () => {
    const { payload, headers } = await multipartBody([{ filename: 'a.json', data: '{}' }]);
    expect(await refusal(post('/v2/models/nope/infer', { ...headers, ...BAD_HEADERS }, payload))).toMatchObject({
      status: 400,
      error: expect.stringContaining('multipart/form-data is not an inference request'),
    });
    expect(await refusal(post('/v2/models/nope/infer', { 'content-encoding': 'gzip', ...BAD_HEADERS }, Buffer.from([0x1f, 0x8b])))).toMatchObject({
      status: 415,
      error: expect.stringContaining('Content-Encoding "gzip" is not supported'),
    });
  });

  it('then X-Request-Timeout-Ms, then X-Model-Version, then X-Request-Key, then the model', async () => {
    const json = { 'content-type': 'application/json' };
    expect((await refusal(post('/v2/models/nope/infer', { ...json, ...BAD_HEADERS }, IRIS))).error).toBe(
      'X-Request-Timeout-Ms must be a positive integer number of milliseconds',
    );
    const { 'x-request-timeout-ms': _timeout, ...versionAndKey } = BAD_HEADERS;
    expect((await refusal(post('/v2/models/nope/infer', { ...json, ...versionAndKey }, IRIS))).error).toMatch(/^X-Model-Version must be/);
    expect((await refusal(post('/v2/models/nope/infer', { ...json, 'x-request-key': BAD_HEADERS['x-request-key'] }, IRIS))).error).toBe(
      'X-Request-Key must be at most 256 characters',
    );
    expect(await refusal(post('/v2/models/nope/infer', json, '{"inputs": 1}'))).toMatchObject({ status: 404, version: undefined });
  });

  it('a malformed version in the path is refused before the body and the headers', async () => {
    const { payload, headers } = await multipartBody([{ filename: 'a.json', data: '{}' }]);
    const pathError = 'the version in the path must be a positive integer (e.g. /versions/1), got "01"';
    expect(await refusal(post('/v2/models/iris/versions/01/infer', { ...headers, ...BAD_HEADERS }, payload))).toMatchObject({ status: 400, error: pathError });
    expect(await refusal(post('/v2/models/iris/versions/01/infer', { 'content-encoding': 'gzip', ...BAD_HEADERS }, Buffer.from([0x1f, 0x8b])))).toMatchObject({
      status: 400,
      error: pathError,
    });
    expect(await refusal(post('/v2/models/iris/versions/01/infer', { 'content-type': 'application/json', ...BAD_HEADERS }, IRIS))).toMatchObject({
      status: 400,
      error: pathError,
    });
  });

  it('a refusal of the body names the version that would have served it', async () => {
    const json = { 'content-type': 'application/json' };
    expect(await refusal(post('/v2/models/iris/infer', json, '{"inputs": []}'))).toMatchObject({ status: 400, version: '1' });
    expect(await refusal(post('/v2/models/iris/versions/2/infer', json, '{"inputs": []}'))).toMatchObject({ status: 400, version: '2' });
  });

  it('a version in the path wins: malformed version headers are not even read', async () => {
    const { 'x-request-timeout-ms': _timeout, ...versionAndKey } = BAD_HEADERS;
    const inferred = await post('/v2/models/iris/versions/2/infer', { 'content-type': 'application/json', ...versionAndKey }, IRIS);
    expect([inferred.statusCode, inferred.json().model_version]).toEqual([200, '2']);
    const metadata = await server.app.inject({ method: 'GET', url: '/v2/models/iris/versions/2', headers: versionAndKey });
    expect([metadata.statusCode, metadata.headers['x-model-version']]).toEqual([200, '2']);
    expect((await server.app.inject({ method: 'GET', url: '/v2/models/iris/versions/2/ready', headers: versionAndKey })).statusCode).toBe(200);
    // Without one, a malformed header is the client's error (with a message), not "not ready" (an empty 400).
    const unversioned = await server.app.inject({ method: 'GET', url: '/v2/models/iris/ready', headers: versionAndKey });
    expect([unversioned.statusCode, unversioned.json().error]).toEqual([400, expect.stringMatching(/^X-Model-Version must be/)]);
  });
});
