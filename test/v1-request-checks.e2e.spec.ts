import { describe, expect, it } from 'vitest';
import { multipartBody } from './support/multipart';
import { useTestApp } from './support/test-app';

const TOKEN = 'a'.repeat(32);
const BAD_VERSION = { 'x-model-version': '01' };
const BAD_KEY = { 'x-request-key': 'k'.repeat(300) };
const BAD_TIMEOUT = { 'x-request-timeout-ms': 'soon' };
const JSON_TYPE = { 'content-type': 'application/json' };
const BAD_BODY = '{"instances":[]}';
const IRIS_ROW = '{"instances":[[5.1,3.5,1.4,0.2]]}';

/**
 * Which refusal a request with several mistakes gets: the /v1 routes check, in
 * this order, X-Model-Version (and X-Request-Key), ?top_k, X-Request-Timeout-Ms
 * and a JSON body, all before the model is looked up; a multipart body is read
 * only once the version that takes it is known. The controllers read these
 * through parameter decorators, so this pins the order they report in.
 */
describe('/v1: the order in which a request is checked', () => {
  const server = useTestApp({ models: ['iris', 'digits'], env: { ADMIN_TOKEN: TOKEN, MODEL_POLL_INTERVAL_MS: '0' } });

  const refusal = async (answer: Promise<{ statusCode: number; json(): { code?: string; message?: string } }>) => {
    const response = await answer;
    return { status: response.statusCode, code: response.json().code, message: response.json().message };
  };
  const predict = (model: string, query: string, headers: Record<string, string>, payload: string | Buffer) =>
    refusal(server.app.inject({ method: 'POST', url: `/v1/models/${model}/predict${query}`, headers, payload }));

  it('JSON predict: version header, then request key, then ?top_k, then timeout header, then body, then the model', async () => {
    const all = { ...JSON_TYPE, ...BAD_TIMEOUT };
    expect(await predict('nope', '?top_k=0', { ...all, ...BAD_VERSION, ...BAD_KEY }, BAD_BODY)).toMatchObject({
      status: 400,
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^X-Model-Version must be a positive integer version or a label/),
    });
    expect(await predict('nope', '?top_k=0', { ...all, ...BAD_KEY }, BAD_BODY)).toMatchObject({
      status: 400,
      message: 'X-Request-Key must be at most 256 characters',
    });
    expect(await predict('nope', '?top_k=0', all, BAD_BODY)).toMatchObject({ status: 422, code: 'INVALID_INPUT', message: expect.stringMatching(/^top_k/) });
    expect(await predict('nope', '?top_k=x', all, BAD_BODY)).toMatchObject({ status: 422, message: expect.stringMatching(/^top_k/) });
    expect(await predict('nope', '?toString=1', all, BAD_BODY)).toMatchObject({ status: 422, message: expect.stringMatching(/toString/) });
    expect(await predict('nope', '', all, BAD_BODY)).toMatchObject({
      status: 400,
      message: 'X-Request-Timeout-Ms must be a positive integer number of milliseconds',
    });
    expect(await predict('nope', '', JSON_TYPE, BAD_BODY)).toMatchObject({ status: 422, message: expect.stringMatching(/instances/) });
    expect(await predict('iris', '', { ...JSON_TYPE, 'x-model-version': '9' }, BAD_BODY)).toMatchObject({ status: 422 });
    expect(await predict('nope', '', JSON_TYPE, IRIS_ROW)).toMatchObject({ status: 404, code: 'MODEL_NOT_FOUND' });
  });

  it('a JSON body of null is checked as an empty object', async () => {
    expect(await predict('iris', '', JSON_TYPE, 'null')).toMatchObject({ status: 422, message: expect.stringMatching(/instances/) });
  });

  it('multipart predict: headers and ?top_k first, then the model and whether it takes images, then the upload', async () => {
    const { payload, headers } = await multipartBody([{ field: 'file', filename: 'x.png', data: Buffer.from('not an image') }]);
    expect(await predict('nope', '?top_k=0', { ...headers, ...BAD_VERSION, ...BAD_TIMEOUT }, payload)).toMatchObject({
      status: 400,
      message: expect.stringMatching(/^X-Model-Version/),
    });
    expect(await predict('nope', '?top_k=0', { ...headers, ...BAD_TIMEOUT }, payload)).toMatchObject({ status: 422, message: expect.stringMatching(/^top_k/) });
    expect(await predict('nope', '', { ...headers, ...BAD_TIMEOUT }, payload)).toMatchObject({ status: 400, message: expect.stringMatching(/^X-Request-Timeout-Ms/) });
    expect(await predict('nope', '', headers, payload)).toMatchObject({ status: 404, code: 'MODEL_NOT_FOUND' });
    expect(await predict('iris', '', headers, payload)).toMatchObject({ status: 415, message: expect.stringMatching(/takes JSON instances, not image uploads/) });
    expect(await predict('digits', '', headers, payload)).toMatchObject({ status: 422, message: expect.stringMatching(/unexpected file field "file"/) });
  });

  it('metadata: the version header before the model', async () => {
    const metadata = (model: string, headers: Record<string, string>) => refusal(server.app.inject({ method: 'GET', url: `/v1/models/${model}`, headers }));
    expect(await metadata('nope', BAD_VERSION)).toMatchObject({ status: 400, message: expect.stringMatching(/^X-Model-Version/) });
    expect(await metadata('nope', BAD_KEY)).toMatchObject({ status: 400, message: expect.stringMatching(/^X-Request-Key/) });
    expect(await metadata('nope', {})).toMatchObject({ status: 404, code: 'MODEL_NOT_FOUND' });
  });

  it('drift: the version header before the model; the request key is not read', async () => {
    const drift = (model: string, headers: Record<string, string>) => server.app.inject({ method: 'GET', url: `/v1/models/${model}/drift`, headers });
    expect(await refusal(drift('nope', BAD_VERSION))).toMatchObject({ status: 400, message: expect.stringMatching(/^X-Model-Version/) });
    const keyed = await drift('iris', BAD_KEY);
    expect([keyed.statusCode, keyed.headers['x-model-version']]).toEqual([200, '1']);
  });

  it('admin: the body and the path version before the model', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const put = (model: string, payload: string) =>
      refusal(server.app.inject({ method: 'PUT', url: `/v1/admin/models/${model}/config`, headers: { ...auth, ...JSON_TYPE }, payload }));
    expect(await put('nope', '{"colour":1}')).toMatchObject({ status: 422, code: 'INVALID_INPUT', message: expect.stringMatching(/colour/) });
    expect(await put('nope', '[]')).toMatchObject({ status: 422, message: 'request body must be a JSON object' });
    expect(await put('nope', '{}')).toMatchObject({ status: 404, code: 'MODEL_NOT_FOUND' });
    const load = (model: string, version: string) =>
      refusal(server.app.inject({ method: 'POST', url: `/v1/admin/models/${model}/versions/${version}/load`, headers: auth }));
    expect(await load('nope', '01')).toMatchObject({ status: 400, message: expect.stringMatching(/^the version in the path must be a positive integer/) });
    expect(await load('nope', '1')).toMatchObject({ status: 404, code: 'MODEL_NOT_FOUND' });
  });
});
