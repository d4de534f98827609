import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import packageJson from '../package.json';
import { multipartBody } from './support/multipart';
import { buildModel, ELEM, identityModel, multiIoModel, writeModel } from './support/onnx-models';
import { irisProbabilities } from './support/iris';
import { useTestApp } from './support/test-app';
import { bigInt64s, binaryBody, float32s, parseInferResponse, rawBytes, type TensorValues } from './support/v2-wire';

/*
 * The Open Inference Protocol (KServe V2) REST API and Triton's binary tensor
 * data extension, through the real Fastify stack, on models built here: one
 * with several inputs and outputs of INT64, BOOL, BYTES and FP32 (one output a
 * scalar), and an Identity model per datatype. Answers are compared with
 * onnxruntime-node running the same model bytes directly.
 */

type OrtType = 'bool' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'int8' | 'int16' | 'int32' | 'int64' | 'float16' | 'float32' | 'float64' | 'string';

interface DatatypeCase {
  v2: string;
  elem: number;
  ort: OrtType;
  /** JSON request data, and what the JSON response holds for it. */
  json: unknown[];
  jsonOut?: unknown[];
  /** The values as onnxruntime-node takes them, for binary requests and the direct run. */
  typed: () => TensorValues;
  /** The exact JSON text of `data` when the binary values come back as JSON (64-bit integers beyond 2^53). */
  jsonText?: string;
}

const DATATYPES: DatatypeCase[] = [
  { v2: 'BOOL', elem: ELEM.BOOL, ort: 'bool', json: [true, false, false, true], typed: () => new Uint8Array([1, 0, 0, 1]) },
  { v2: 'UINT8', elem: ELEM.UINT8, ort: 'uint8', json: [0, 255, 7, 128], typed: () => new Uint8Array([0, 255, 7, 128]) },
  { v2: 'UINT16', elem: ELEM.UINT16, ort: 'uint16', json: [0, 65535, 1, 300], typed: () => new Uint16Array([0, 65535, 1, 300]) },
  { v2: 'UINT32', elem: ELEM.UINT32, ort: 'uint32', json: [0, 4294967295, 5, 70000], typed: () => new Uint32Array([0, 4294967295, 5, 70000]) },
  {
    v2: 'UINT64',
    elem: ELEM.UINT64,
    ort: 'uint64',
    json: [0, 9007199254740991, 1, '18446744073709551615'],
    jsonOut: [0, 9007199254740991, 1, 18446744073709551615],
    typed: () => new BigUint64Array([0n, 2n ** 64n - 1n, 2n ** 53n + 1n, 1n]),
    jsonText: '[0,18446744073709551615,9007199254740993,1]',
  },
  { v2: 'INT8', elem: ELEM.INT8, ort: 'int8', json: [-128, 127, 0, -1], typed: () => new Int8Array([-128, 127, 0, -1]) },
  { v2: 'INT16', elem: ELEM.INT16, ort: 'int16', json: [-32768, 32767, 0, -1], typed: () => new Int16Array([-32768, 32767, 0, -1]) },
  {
    v2: 'INT32',
    elem: ELEM.INT32,
    ort: 'int32',
    json: [-2147483648, 2147483647, 0, -1],
    typed: () => new Int32Array([-2147483648, 2147483647, 0, -1]),
  },
  {
    v2: 'INT64',
    elem: ELEM.INT64,
    ort: 'int64',
    json: [-9007199254740991, 9007199254740991, 0, -1],
    typed: () => new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n]),
    jsonText: '[-9223372036854775808,9223372036854775807,0,-1]',
  },
  {
    v2: 'FP16',
    elem: ELEM.FLOAT16,
    ort: 'float16',
    json: [1, -2.5, 0.333251953125, 65504],
    typed: () => new Uint16Array([0x3c00, 0xc100, 0x3555, 0x7bff]),
  },
  {
    v2: 'FP32',
    elem: ELEM.FLOAT,
    ort: 'float32',
    json: [1.5, -2.25, 0.1, 1e30],
    jsonOut: [1.5, -2.25, Math.fround(0.1), Math.fround(1e30)],
    typed: () => new Float32Array([1.5, -2.25, 0.1, 1e30]),
  },
  { v2: 'FP64', elem: ELEM.DOUBLE, ort: 'float64', json: [0.1, -1e300, 5e-324, 2], typed: () => new Float64Array([0.1, -1e300, 5e-324, 2]) },
  { v2: 'BYTES', elem: ELEM.STRING, ort: 'string', json: ['a', 'héllo', '', '🙂 ok'], typed: () => ['a', 'héllo', '', '🙂 ok'] },
];

const identityName = (v2: string) => `identity_${v2.toLowerCase()}`;

function expectError(response: LightMyRequestResponse, status: number, message: string | RegExp): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json();
  expect(Object.keys(body)).toEqual(['error']);
  if (typeof message === 'string') expect(body.error).toContain(message);
  else expect(body.error).toMatch(message);
}

describe('Open Inference Protocol (/v2)', () => {
  const modelBytes = new Map<string, Uint8Array>();
  const sessions = new Map<string, ort.InferenceSession>();
  const server = useTestApp({
    models: ['iris'],
    env: { BODY_LIMIT_BYTES: '65536' },
    prepare: async (modelsDir) => {
      modelBytes.set('multi', multiIoModel());
      modelBytes.set('fixed', identityModel(ELEM.FLOAT, [2, 3]));
      for (const datatype of DATATYPES) modelBytes.set(identityName(datatype.v2), identityModel(datatype.elem));
      for (const [name, bytes] of modelBytes) await writeModel(modelsDir, name, 1, bytes);
    },
  });
  afterAll(async () => {
    await Promise.all([...sessions.values()].map((session) => session.release()));
  });

  /**
   * An onnxruntime tensor for the direct comparison. On Node 24 onnxruntime-common wraps float16 bits in a
   * Float16Array that onnxruntime-node 1.30 cannot read; like the service's adapter, give it the Uint16Array back.
   */
  function directTensor(type: string, data: unknown, dims: number[]): ort.Tensor {
    const tensor = new ort.Tensor(type as never, data as never, dims);
    if (type === 'float16' && !(tensor.data instanceof Uint16Array)) (tensor as unknown as { cpuData: unknown }).cpuData = data;
    return tensor;
  }

  /** onnxruntime-node on the same model bytes, outside the service. */
  async function runDirect(model: string, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
    let session = sessions.get(model);
    if (!session) {
      session = await ort.InferenceSession.create(modelBytes.get(model)!);
      sessions.set(model, session);
    }
    return session.run(feeds);
  }

  const inject = (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}, payload?: string | Buffer) =>
    server.app.inject({ method, url, headers, payload });
  const inferJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    inject('POST', url, { 'content-type': 'application/json', ...headers }, JSON.stringify(body));

  describe('server and model metadata, health', () => {
    it('GET /v2 answers the server metadata with the binary_tensor_data extension', async () => {
      const response = await inject('GET', '/v2');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ name: 'onnx-model-server', version: packageJson.version, extensions: ['binary_tensor_data'] });
    });

    it.each(['/v2/health/live', '/v2/health/ready', '/v2/models/iris/ready', '/v2/models/iris/versions/2/ready', '/v2/models/multi/ready'])(
      'GET %s is 200 with an empty body',
      async (url) => {
        const response = await inject('GET', url);
        expect(response.statusCode).toBe(200);
        expect(response.body).toBe('');
      },
    );

    it.each(['/v2/models/iris/versions/3/ready', '/v2/models/unknown/ready', '/v2/models/unknown/versions/1/ready'])(
      'GET %s is 400 (not ready) with an empty body',
      async (url) => {
        const response = await inject('GET', url);
        expect(response.statusCode).toBe(400);
        expect(response.body).toBe('');
      },
    );

    it('model ready follows X-Model-Version without a path version', async () => {
      expect((await inject('GET', '/v2/models/iris/ready', { 'x-model-version': 'canary' })).statusCode).toBe(200);
      expect((await inject('GET', '/v2/models/iris/ready', { 'x-model-version': '9' })).statusCode).toBe(400);
    });

    it('a malformed version in the path of model ready is an error, not "not ready"', async () => {
      expectError(await inject('GET', '/v2/models/iris/versions/one/ready'), 400, 'the version in the path must be a positive integer');
    });

    it('model metadata lists READY versions as strings, the platform, and V2 datatypes with -1 for dynamic dimensions', async () => {
      const response = await inject('GET', '/v2/models/iris');
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-model-version']).toBe('1');
      expect(response.json()).toEqual({
        name: 'iris',
        versions: ['1', '2'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
        outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
      });
    });

    it('model metadata of a model with INT64, BOOL, BYTES tensors and a scalar output', async () => {
      expect((await inject('GET', '/v2/models/multi')).json()).toEqual({
        name: 'multi',
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [
          { name: 'ids', datatype: 'INT64', shape: [-1, 3] },
          { name: 'mask', datatype: 'BOOL', shape: [-1, 3] },
          { name: 'text', datatype: 'BYTES', shape: [-1] },
          { name: 'scale', datatype: 'FP32', shape: [-1, 3] },
        ],
        outputs: [
          { name: 'doubled', datatype: 'INT64', shape: [-1, 3] },
          { name: 'inverted', datatype: 'BOOL', shape: [-1, 3] },
          { name: 'echoed', datatype: 'BYTES', shape: [-1] },
          { name: 'masked', datatype: 'FP32', shape: [-1, 3] },
          { name: 'count', datatype: 'INT64', shape: [] },
        ],
      });
      expect((await inject('GET', '/v2/models/fixed')).json().inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [2, 3] }]);
    });

    it.each(DATATYPES)('metadata names $ort as $v2', async ({ v2 }) => {
      const body = (await inject('GET', `/v2/models/${identityName(v2)}`)).json();
      expect(body.inputs).toEqual([{ name: 'x', datatype: v2, shape: [-1, 2] }]);
      expect(body.outputs).toEqual([{ name: 'y', datatype: v2, shape: [-1, 2] }]);
    });

    it.each([
      ['/v2/models/unknown', 404, 'model "unknown" not found; available models:'],
      ['/v2/models/iris/versions/7', 404, 'version 7 does not exist; available versions: 1, 2'],
      ['/v2/models/iris/versions/0', 400, 'the version in the path must be a positive integer (e.g. /versions/1), got "0"'],
      ['/v2/models/iris/versions/v1', 400, 'got "v1"'],
    ])('GET %s is %i with the error', async (url, status, message) => {
      expectError(await inject('GET', url), status, message);
    });
  });

  describe('version selection', () => {
    const IRIS = { inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [6.7, 3.0, 5.2, 2.3] }] };

    it.each([
      ['/v2/models/iris/infer', {}, '1'],
      ['/v2/models/iris/infer', { 'x-model-version': '2' }, '2'],
      ['/v2/models/iris/infer', { 'x-model-version': 'canary' }, '2'],
      ['/v2/models/iris/infer', { 'x-model-version': 'stable' }, '1'],
      ['/v2/models/iris/versions/2/infer', {}, '2'],
      // The path wins over the header.
      ['/v2/models/iris/versions/2/infer', { 'x-model-version': '1' }, '2'],
      ['/v2/models/iris/versions/1/infer', { 'x-model-version': 'canary' }, '1'],
    ])('%s with headers %j is served by version %s', async (url, headers, version) => {
      const response = await inferJson(url, IRIS, headers);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['x-model-version']).toBe(version);
      const body = response.json();
      expect(body.model_version).toBe(version);
      const expected = (await irisProbabilities(Number(version), [IRIS.inputs[0].data])).flat();
      // name, datatype and shape exact; the FP32 data within float32 tolerance of onnxruntime run directly.
      expect(body.outputs).toMatchModelOutput([{ name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: expected }]);
    });

    it('metadata follows the path version over the header, and the header without one', async () => {
      const byPath = await inject('GET', '/v2/models/iris/versions/2', { 'x-model-version': '1' });
      expect(byPath.headers['x-model-version']).toBe('2');
      expect(byPath.json().versions).toEqual(['1', '2']);
      expect((await inject('GET', '/v2/models/iris', { 'x-model-version': 'canary' })).headers['x-model-version']).toBe('2');
    });

    it.each([
      ['/v2/models/iris/infer', { 'x-model-version': '9' }, 404, 'version 9 does not exist'],
      ['/v2/models/iris/infer', { 'x-model-version': 'no such label!' }, 400, 'X-Model-Version must be a positive integer version or a label'],
      ['/v2/models/iris/versions/x/infer', {}, 400, 'the version in the path must be a positive integer'],
      ['/v2/models/nope/infer', {}, 404, 'model "nope" not found'],
    ])('%s with %j is %i', async (url, headers, status, message) => {
      expectError(await inferJson(url, IRIS, headers), status, message);
    });
  });

  describe('inference with JSON tensors', () => {
    const REQUEST = {
      id: 'request-7',
      inputs: [
        { name: 'ids', shape: [2, 3], datatype: 'INT64', data: [1, -2, 3, 40, 50, 9007199254740991] },
        { name: 'mask', shape: [2, 3], datatype: 'BOOL', data: [true, false, true, false, false, true] },
        { name: 'text', shape: [2], datatype: 'BYTES', data: ['héllo', ''] },
        { name: 'scale', shape: [2, 3], datatype: 'FP32', data: [0.1, 2, -3.5, 4, 5, 6.25] },
      ],
    };

    const directFeeds = () => ({
      ids: new ort.Tensor('int64', BigInt64Array.from(REQUEST.inputs[0].data as number[], BigInt), [2, 3]),
      mask: new ort.Tensor('bool', Uint8Array.from(REQUEST.inputs[1].data as boolean[], Number), [2, 3]),
      text: new ort.Tensor('string', REQUEST.inputs[2].data as string[], [2]),
      scale: new ort.Tensor('float32', Float32Array.from(REQUEST.inputs[3].data as number[]), [2, 3]),
    });

    it('answers every output in model order, equal to onnxruntime on the same model, and echoes the id', async () => {
      const response = await inferJson('/v2/models/multi/infer', REQUEST);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['inference-header-content-length']).toBeUndefined();
      expect(response.headers['x-model-version']).toBe('1');
      const direct = await runDirect('multi', directFeeds());
      const doubled = Array.from(direct.doubled.data as BigInt64Array);
      // INT64, BOOL and BYTES outputs exact, the FP32 output within float32 tolerance (see test/support/close-to.ts).
      expect(response.json()).toMatchModelOutput({
        model_name: 'multi',
        model_version: '1',
        id: 'request-7',
        outputs: [
          { name: 'doubled', datatype: 'INT64', shape: [2, 3], data: doubled.map(Number) },
          { name: 'inverted', datatype: 'BOOL', shape: [2, 3], data: Array.from(direct.inverted.data as Uint8Array, (v) => v === 1) },
          { name: 'echoed', datatype: 'BYTES', shape: [2], data: direct.echoed.data },
          { name: 'masked', datatype: 'FP32', shape: [2, 3], data: Array.from(direct.masked.data as Float32Array) },
          { name: 'count', datatype: 'INT64', shape: [], data: [Number((direct.count.data as BigInt64Array)[0])] },
        ],
      });
      // 2 × (2^53 - 1) is beyond 2^53: it is written as an exact JSON number.
      expect(response.body).toContain(`,${doubled[5]}]`);
      expect(doubled[5]).toBe(18014398509481982n);
    });

    it('returns only the requested outputs, in the requested order', async () => {
      const response = await inferJson('/v2/models/multi/infer', { ...REQUEST, outputs: [{ name: 'count' }, { name: 'echoed' }] });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json().outputs).toEqual([
        { name: 'count', datatype: 'INT64', shape: [], data: [3] },
        { name: 'echoed', datatype: 'BYTES', shape: [2], data: ['héllo', ''] },
      ]);
    });

    it('accepts nested data, parameters at every level, and no id', async () => {
      const nested = {
        parameters: { custom: 'x', priority: 0, flag: true },
        inputs: [
          { name: 'ids', shape: [1, 3], datatype: 'INT64', data: [[1, 2, 3]], parameters: { note: 'nested' } },
          { name: 'mask', shape: [1, 3], datatype: 'BOOL', data: [[true, true, false]] },
          { name: 'text', shape: [1], datatype: 'BYTES', data: ['a'] },
          { name: 'scale', shape: [1, 3], datatype: 'FP32', data: [[1, 2, 3]] },
        ],
        outputs: [{ name: 'masked', parameters: { binary_data: false } }],
      };
      const response = await inferJson('/v2/models/multi/infer', nested);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json()).toEqual({
        model_name: 'multi',
        model_version: '1',
        outputs: [{ name: 'masked', datatype: 'FP32', shape: [1, 3], data: [1, 2, 0] }],
      });
    });

    it('takes INT64 values beyond 2^53 as decimal strings and answers them exactly', async () => {
      const response = await inferJson('/v2/models/identity_int64/infer', {
        inputs: [{ name: 'x', shape: [1, 2], datatype: 'INT64', data: ['-9223372036854775808', '4611686018427387905'] }],
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.body).toContain('"data":[-9223372036854775808,4611686018427387905]');
    });

    it('a JSON body with no Content-Type at all is read as JSON (tritonclient sends none)', async () => {
      const response = await inject('POST', '/v2/models/multi/infer', {}, JSON.stringify(REQUEST));
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json().id).toBe('request-7');
    });
  });

  describe('inference with binary tensors', () => {
    const ids = new BigInt64Array([2n ** 62n, -5n, 7n]);
    const mask = new Uint8Array([1, 0, 1]);
    const text = ['ünïcode', 'bytes'];
    const scale = new Float32Array([0.5, 1.5, -2]);

    it('reads every input from binary data and answers every output as binary, byte for byte as onnxruntime', async () => {
      const { payload, headers } = binaryBody(
        {
          id: 'bin',
          parameters: { binary_data_output: true },
          inputs: [
            { name: 'ids', shape: [1, 3], datatype: 'INT64', parameters: { binary_data_size: 24 } },
            { name: 'mask', shape: [1, 3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
            { name: 'text', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: rawBytes(text).length } },
            { name: 'scale', shape: [1, 3], datatype: 'FP32', parameters: { binary_data_size: 12 } },
          ],
        },
        [rawBytes(ids), rawBytes(mask), rawBytes(text), rawBytes(scale)],
      );
      // text has 2 elements against 1 row: onnxruntime does not tie the two "N" together, and neither do we.
      const response = await inject('POST', '/v2/models/multi/infer', headers, payload);
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['content-type']).toBe('application/octet-stream');
      const { header, binary } = parseInferResponse(response.rawPayload, response.headers);
      const direct = await runDirect('multi', {
        ids: new ort.Tensor('int64', ids, [1, 3]),
        mask: new ort.Tensor('bool', mask, [1, 3]),
        text: new ort.Tensor('string', text, [2]),
        scale: new ort.Tensor('float32', scale, [1, 3]),
      });
      expect(header.id).toBe('bin');
      expect(header.outputs.map((output) => [output.name, output.datatype, output.shape, output.data])).toEqual([
        ['doubled', 'INT64', [1, 3], undefined],
        ['inverted', 'BOOL', [1, 3], undefined],
        ['echoed', 'BYTES', [2], undefined],
        ['masked', 'FP32', [1, 3], undefined],
        ['count', 'INT64', [], undefined],
      ]);
      // Byte equality is right here on any CPU: the only float output, masked, is scale × 0 or × 1, which IEEE 754 makes exact.
      for (const name of ['doubled', 'inverted', 'echoed', 'masked', 'count']) {
        const expected = rawBytes(direct[name].data as ArrayLike<unknown>);
        expect(binary.get(name)!.equals(expected), name).toBe(true);
        expect(header.outputs.find((output) => output.name === name)!.parameters).toEqual({ binary_data_size: expected.length });
      }
    });

    it('mixes binary and JSON inputs, and binary and JSON outputs as each output asks', async () => {
      const { payload, headers } = binaryBody(
        {
          parameters: { binary_data_output: true },
          inputs: [
            { name: 'ids', shape: [1, 3], datatype: 'INT64', data: [1, 2, 3] },
            { name: 'mask', shape: [1, 3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
            { name: 'text', shape: [1], datatype: 'BYTES', data: ['json'] },
            { name: 'scale', shape: [1, 3], datatype: 'FP32', parameters: { binary_data_size: 12 } },
          ],
          outputs: [
            { name: 'masked' }, // binary: binary_data_output
            { name: 'echoed', parameters: { binary_data: false } }, // JSON: its own setting wins
            { name: 'doubled', parameters: { binary_data: true } },
          ],
        },
        [rawBytes(mask), rawBytes(scale)],
      );
      const response = await inject('POST', '/v2/models/multi/infer', headers, payload);
      expect(response.statusCode, response.body).toBe(200);
      const { header, binary } = parseInferResponse(response.rawPayload, response.headers);
      expect(header.outputs.map((output) => output.name)).toEqual(['masked', 'echoed', 'doubled']);
      expect(header.outputs[1]).toEqual({ name: 'echoed', datatype: 'BYTES', shape: [1], data: ['json'] });
      expect(float32s(binary.get('masked')!)).toEqual([0.5, 0, -2]);
      expect(bigInt64s(binary.get('doubled')!)).toEqual([2n, 4n, 6n]);
    });

    it('also takes the binary form as application/json with Inference-Header-Content-Length, and with no Content-Type', async () => {
      const { payload, headers } = binaryBody(
        { inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8 } }] },
        [rawBytes(new Float32Array([1.25, -8]))],
      );
      for (const contentType of ['application/json', undefined]) {
        const response = await inject(
          'POST',
          '/v2/models/identity_fp32/infer',
          contentType ? { ...headers, 'content-type': contentType } : { 'inference-header-content-length': headers['inference-header-content-length'] },
          payload,
        );
        expect(response.statusCode, response.body).toBe(200);
        expect(response.json().outputs[0].data).toEqual([1.25, -8]);
      }
    });
  });

  describe.each(DATATYPES)('datatype $v2 through an Identity model', (datatype) => {
    const url = `/v2/models/${identityName(datatype.v2)}/infer`;
    const bytes = () => rawBytes(datatype.typed());
    const direct = async () => {
      const result = await runDirect(identityName(datatype.v2), { x: directTensor(datatype.ort, datatype.typed(), [2, 2]) });
      return result.y;
    };

    it('JSON in, JSON out', async () => {
      const response = await inferJson(url, { inputs: [{ name: 'x', shape: [2, 2], datatype: datatype.v2, data: datatype.json }] });
      expect(response.statusCode, response.body).toBe(200);
      const output = parseInferResponse(response.rawPayload, response.headers).header.outputs[0];
      expect(output).toEqual({ name: 'y', datatype: datatype.v2, shape: [2, 2], data: datatype.jsonOut ?? datatype.json });
    });

    it('binary in, binary out, the bytes onnxruntime answers', async () => {
      const { payload, headers } = binaryBody(
        {
          inputs: [{ name: 'x', shape: [2, 2], datatype: datatype.v2, parameters: { binary_data_size: bytes().length } }],
          outputs: [{ name: 'y', parameters: { binary_data: true } }],
        },
        [bytes()],
      );
      const response = await inject('POST', url, headers, payload);
      expect(response.statusCode, response.body).toBe(200);
      const { header, binary } = parseInferResponse(response.rawPayload, response.headers);
      expect(header.outputs[0]).toEqual({ name: 'y', datatype: datatype.v2, shape: [2, 2], parameters: { binary_data_size: bytes().length } });
      expect(binary.get('y')!.equals(rawBytes((await direct()).data as never))).toBe(true);
      expect(binary.get('y')!.equals(bytes())).toBe(true);
    });

    it('binary in, JSON out', async () => {
      const { payload, headers } = binaryBody(
        { inputs: [{ name: 'x', shape: [2, 2], datatype: datatype.v2, parameters: { binary_data_size: bytes().length } }] },
        [bytes()],
      );
      const response = await inject('POST', url, headers, payload);
      expect(response.statusCode, response.body).toBe(200);
      const { header, headerText } = parseInferResponse(response.rawPayload, response.headers);
      if (datatype.jsonText) expect(headerText).toContain(`"data":${datatype.jsonText}`);
      else expect(header.outputs[0].data).toEqual(datatype.jsonOut ?? datatype.json);
    });

    it('JSON in, binary out (binary_data_output)', async () => {
      const response = await inferJson(url, {
        parameters: { binary_data_output: true },
        inputs: [{ name: 'x', shape: [2, 2], datatype: datatype.v2, data: datatype.json }],
      });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.headers['content-type']).toBe('application/octet-stream');
      const { binary } = parseInferResponse(response.rawPayload, response.headers);
      if (!datatype.jsonText) expect(binary.get('y')!.equals(bytes())).toBe(true);
      else expect(binary.get('y')!.length).toBe(32);
    });
  });

  describe('client mistakes: 4xx with {"error"}', () => {
    const IDS = { name: 'ids', shape: [1, 3], datatype: 'INT64', data: [1, 2, 3] };
    const MASK = { name: 'mask', shape: [1, 3], datatype: 'BOOL', data: [true, false, true] };
    const TEXT = { name: 'text', shape: [1], datatype: 'BYTES', data: ['t'] };
    const SCALE = { name: 'scale', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] };
    const withInput = (replacement: object) => ({
      inputs: [IDS, MASK, TEXT, SCALE].map((input) =>
        input.name === (replacement as { name: string }).name ? replacement : input,
      ),
    });

    it.each<[string, unknown, string | RegExp]>([
      ['inputs missing', { id: '1' }, 'inputs must be an array'],
      ['an unknown top-level field', { inputs: [IDS, MASK, TEXT, SCALE], input: [] }, 'property input should not exist'],
      ['id not a string', { id: 5, inputs: [IDS, MASK, TEXT, SCALE] }, 'id must be a string'],
      ['an unknown datatype', withInput({ ...IDS, datatype: 'INT128' }), 'inputs[0].datatype must be one of the following values: BOOL'],
      ['a negative dimension', withInput({ ...IDS, shape: [-1, 3] }), 'inputs[0].shape'],
      ['nested parameters', { parameters: { a: { b: 1 } }, inputs: [IDS, MASK, TEXT, SCALE] }, 'parameters must be an object whose values are strings, numbers or booleans ("a" is not)'],
      ['data not an array', withInput({ ...IDS, data: 5 }), 'inputs[0].data must be an array'],
      ['a datatype other than the model input\'s', withInput({ ...IDS, datatype: 'INT32' }), 'input "ids" has datatype INT32, but the model expects INT64'],
      ['another rank', withInput({ ...IDS, shape: [3] }), 'input "ids" has shape [3], but the model expects [-1, 3] (-1: any size)'],
      ['a fixed dimension that differs', withInput({ ...IDS, shape: [1, 4], data: [1, 2, 3, 4] }), 'but the model expects [-1, 3]'],
      ['too few elements', withInput({ ...IDS, data: [1, 2] }), 'input "ids": data has 2 elements, but shape [1, 3] needs 3'],
      ['nested data off the shape', withInput({ ...IDS, shape: [1, 3], data: [[1, 2], [3]] }), 'input "ids": nested data does not follow shape [1, 3]'],
      ['a value out of range', withInput({ ...IDS, data: [1, 2, 2 ** 60] }), 'input "ids": element 2 must be between'],
      ['a non-boolean BOOL', withInput({ ...MASK, data: [true, 'yes', false] }), 'input "mask": element 1 must be a boolean'],
      ['a number for BYTES', withInput({ ...TEXT, data: [7] }), 'input "text": element 0 must be a string'],
      ['a string for FP32', withInput({ ...SCALE, data: [1, 'two', 3] }), 'input "scale": element 1 must be a finite number'],
      ['a missing input', { inputs: [IDS, MASK, TEXT] }, 'missing input "scale"; model "multi" version 1 has inputs: ids, mask, text, scale'],
      ['an unknown input', { inputs: [IDS, MASK, TEXT, SCALE, { ...IDS, name: 'extra' }] }, 'unknown input "extra"; model "multi" version 1 has inputs: ids, mask, text, scale'],
      ['an input given twice', { inputs: [IDS, IDS, MASK, TEXT, SCALE] }, 'input "ids" is given more than once'],
      ['an input without data', withInput({ name: 'ids', shape: [1, 3], datatype: 'INT64' }), 'input "ids" has no "data"'],
      ['an unknown output', { inputs: [IDS, MASK, TEXT, SCALE], outputs: [{ name: 'count' }, { name: 'nope' }] }, 'unknown output "nope"; model "multi" version 1 has outputs: doubled, inverted, echoed, masked, count'],
      ['an output asked twice', { inputs: [IDS, MASK, TEXT, SCALE], outputs: [{ name: 'count' }, { name: 'count' }] }, 'output "count" is requested more than once'],
      ['binary_data not a boolean', { inputs: [IDS, MASK, TEXT, SCALE], outputs: [{ name: 'count', parameters: { binary_data: 'yes' } }] }, 'output "count": parameters.binary_data must be true or false'],
      ['binary_data_output not a boolean', { parameters: { binary_data_output: 1 }, inputs: [IDS, MASK, TEXT, SCALE] }, 'parameters.binary_data_output must be true or false'],
      ['the shared memory extension', withInput({ ...IDS, parameters: { shared_memory_region: 'r' } }), 'the shared memory extension is not supported'],
      ['the classification extension', { inputs: [IDS, MASK, TEXT, SCALE], outputs: [{ name: 'masked', parameters: { classification: 2 } }] }, 'the classification extension is not supported'],
      [
        'dynamic dimensions the model cannot combine',
        withInput({ ...SCALE, shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }),
        /inference failed for multi\/1: .*the inputs fit the model's declared datatypes and shapes/,
      ],
    ])('%s', async (_what, body, message) => {
      const broken = JSON.parse(JSON.stringify(body));
      // Two rows of scale against three of mask cannot be multiplied: only onnxruntime finds that out.
      if (_what.startsWith('dynamic')) broken.inputs[1] = { ...MASK, shape: [3, 3], data: new Array(9).fill(true) };
      expectError(await inferJson('/v2/models/multi/infer', broken), 400, message);
    });

    it.each<[string, string | Buffer, Record<string, string>, number, string]>([
      ['malformed JSON', '{"inputs": [', { 'content-type': 'application/json' }, 400, 'not valid JSON'],
      ['malformed JSON without Content-Type', '{"inputs": [', {}, 400, 'request body is not valid JSON'],
      ['an empty body', '', {}, 400, 'request body is empty'],
      ['a JSON array', '[1, 2]', { 'content-type': 'application/json' }, 400, 'the inference request must be a JSON object with "inputs"'],
      ['a body over BODY_LIMIT_BYTES', `{"inputs": [], "id": "${'x'.repeat(70_000)}"}`, { 'content-type': 'application/json' }, 413, 'larger than the limit'],
      ['a header length beyond the body', '{"inputs": []}', { 'inference-header-content-length': '500' }, 400, 'Inference-Header-Content-Length is 500, but the request body has only 14 bytes'],
      ['a header length that is not a number', '{"inputs": []}', { 'inference-header-content-length': 'abc' }, 400, 'Inference-Header-Content-Length must be the length in bytes'],
      ['a header length that cuts the JSON', '{"inputs": []}', { 'inference-header-content-length': '5' }, 400, 'JSON header (the first Inference-Header-Content-Length bytes) is not valid JSON'],
    ])('%s is %i', async (_what, payload, headers, status, message) => {
      expectError(await inject('POST', '/v2/models/multi/infer', headers, payload), status, message);
    });

    const binaryCase = (inputs: object[], tensors: Buffer[], extra: Record<string, unknown> = {}) => binaryBody({ inputs, ...extra }, tensors);
    const FP32_IN = (size: number) => [{ name: 'x', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: size } }];

    it.each<[string, string, { payload: Buffer; headers: Record<string, string> }, string]>([
      ['binary sizes beyond the data', 'identity_fp32', binaryCase(FP32_IN(8), [Buffer.alloc(4)]), 'input "x": binary_data_size is 8 bytes, but only 4 bytes of binary data are left after the JSON header'],
      ['more binary data than declared', 'identity_fp32', binaryCase(FP32_IN(8), [Buffer.alloc(12)]), '12 bytes of binary data follow the JSON header, but the inputs\' binary_data_size ("x": 8) add up to 8'],
      ['binary data but no binary input', 'identity_fp32', binaryCase([{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 2] }], [Buffer.alloc(3)]), '3 bytes follow the JSON header, but no input declares parameters.binary_data_size'],
      ['a binary size that is not element count × size', 'identity_fp32', binaryCase(FP32_IN(4), [Buffer.alloc(4)]), 'input "x": binary_data_size is 4 bytes, but shape [1, 2] of FP32 needs 8 (2 elements × 4 bytes)'],
      ['a negative binary size', 'identity_fp32', binaryCase(FP32_IN(-8), []), 'input "x": parameters.binary_data_size must be a non-negative integer, got -8'],
      ['both data and binary data', 'identity_fp32', binaryCase([{ ...FP32_IN(8)[0], data: [1, 2] }], [Buffer.alloc(8)]), 'input "x" has both "data" and parameters.binary_data_size'],
      ['a BOOL byte that is not 0 or 1', 'identity_bool', binaryCase([{ name: 'x', shape: [1, 2], datatype: 'BOOL', parameters: { binary_data_size: 2 } }], [Buffer.from([1, 7])]), 'input "x": BOOL element 1 is the byte 7'],
      ['a truncated BYTES length prefix', 'identity_bytes', binaryCase([{ name: 'x', shape: [1, 2], datatype: 'BYTES', parameters: { binary_data_size: 7 } }], [Buffer.from([1, 0, 0, 0, 0x61, 1, 0])]), 'input "x": BYTES element 1 has a truncated length prefix (2 of 4 bytes)'],
      ['a BYTES length beyond its data', 'identity_bytes', binaryCase([{ name: 'x', shape: [1, 2], datatype: 'BYTES', parameters: { binary_data_size: 9 } }], [Buffer.from([1, 0, 0, 0, 0x61, 200, 0, 0, 0])]), 'input "x": BYTES element 1 declares 200 bytes, but only 0 remain'],
      ['too few BYTES elements', 'identity_bytes', binaryCase([{ name: 'x', shape: [1, 2], datatype: 'BYTES', parameters: { binary_data_size: 5 } }], [Buffer.from([1, 0, 0, 0, 0x61])]), 'input "x": binary data holds 1 BYTES elements, but shape [1, 2] needs 2'],
      ['BYTES that are not UTF-8', 'identity_bytes', binaryCase([{ name: 'x', shape: [1, 2], datatype: 'BYTES', parameters: { binary_data_size: 10 } }], [Buffer.from([1, 0, 0, 0, 0x61, 1, 0, 0, 0, 0xff])]), 'input "x": BYTES element 1 is not valid UTF-8'],
    ])('%s is a 400 naming the input', async (_what, model, { payload, headers }, message) => {
      expectError(await inject('POST', `/v2/models/${model}/infer`, headers, payload), 400, message);
    });

    it('a compressed body (tritonclient\'s request_compression_algorithm) is a 415', async () => {
      const response = await inject('POST', '/v2/models/multi/infer', { 'content-encoding': 'gzip' }, Buffer.from([0x1f, 0x8b, 8, 0]));
      expectError(response, 415, 'Content-Encoding "gzip" is not supported; send the request body uncompressed');
    });

    it('a multipart body is refused, without waiting for its parts', async () => {
      const { payload, headers } = await multipartBody([{ filename: 'a.json', data: '{}' }]);
      expectError(await inject('POST', '/v2/models/multi/infer', headers, payload), 400, 'multipart/form-data is not an inference request');
    });
  });

  describe('observability and documentation', () => {
    it('counts /v2 requests in the model metrics and labels HTTP metrics with route templates', async () => {
      const series = [
        'model_predictions_total{model="identity_int8",version="1",outcome="success",protocol="http"}',
        'model_predictions_total{model="identity_int8",version="1",outcome="invalid_input",protocol="http"}',
        'model_inference_duration_seconds_count{model="identity_int8",version="1"}',
        'http_request_duration_seconds_count{method="POST",route="/v2/models/:name/infer",status_code="200"}',
        'http_request_duration_seconds_count{method="POST",route="/v2/models/:name/infer",status_code="400"}',
      ];
      const read = async () => {
        const text = (await inject('GET', '/metrics')).body;
        const value = (name: string) => Number(text.split('\n').find((line) => line.startsWith(`${name} `))?.split(' ')[1] ?? 0);
        return { text, values: series.map(value) };
      };
      const before = await read();
      await inferJson('/v2/models/identity_int8/infer', { inputs: [{ name: 'x', shape: [1, 2], datatype: 'INT8', data: [1, 2] }] });
      await inferJson('/v2/models/identity_int8/infer', { inputs: [{ name: 'x', shape: [1, 2], datatype: 'INT8', data: [1, 999] }] });
      const after = await read();
      expect(after.values.map((value, i) => value - before.values[i])).toEqual([1, 1, 1, 1, 1]);
      expect(after.text).not.toMatch(/route="\/v2\/models\/identity_int8/);
    });

    it('documents every /v2 route in OpenAPI under open-inference-protocol, with the iris example', async () => {
      const document = (await inject('GET', '/docs-json')).json();
      const routes = [
        ['/v2', 'get'],
        ['/v2/health/live', 'get'],
        ['/v2/health/ready', 'get'],
        ['/v2/models/{name}', 'get'],
        ['/v2/models/{name}/versions/{version}', 'get'],
        ['/v2/models/{name}/ready', 'get'],
        ['/v2/models/{name}/versions/{version}/ready', 'get'],
        ['/v2/models/{name}/infer', 'post'],
        ['/v2/models/{name}/versions/{version}/infer', 'post'],
      ];
      for (const [route, method] of routes) {
        expect(document.paths[route]?.[method]?.tags, route).toEqual(['open-inference-protocol']);
      }
      const infer = document.paths['/v2/models/{name}/infer'].post;
      expect(infer.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(
        expect.arrayContaining(['name', 'X-Model-Version', 'Inference-Header-Content-Length']),
      );
      expect(infer.requestBody.content['application/json'].examples.iris.value.inputs).toEqual([
        { name: 'input', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] },
      ]);
      expect(document.components.schemas.V2InferenceResponseDto).toBeDefined();
    });

    it('the documented iris example works as it stands', async () => {
      const document = (await inject('GET', '/docs-json')).json();
      const example = document.paths['/v2/models/{name}/infer'].post.requestBody.content['application/json'].examples.iris.value;
      const response = await inferJson('/v2/models/iris/infer', example);
      expect(response.statusCode).toBe(200);
      expect(response.json().outputs[0].name).toBe('probabilities');
    });
  });
});

describe('Open Inference Protocol health when a required model failed', () => {
  const server = useTestApp({
    models: ['iris'],
    // By default a model that never loaded is not waited for; naming it makes the server wait for it.
    env: { REQUIRED_MODELS: 'iris,broken' },
    prepare: async (modelsDir) => {
      await mkdir(path.join(modelsDir, 'broken', '1'), { recursive: true });
      await writeFile(path.join(modelsDir, 'broken', '1', 'model.onnx'), 'not an onnx model');
    },
  });

  it('server live is 200, server ready is 400, both with empty bodies', async () => {
    const live = await server.app.inject({ method: 'GET', url: '/v2/health/live' });
    expect([live.statusCode, live.body]).toEqual([200, '']);
    const ready = await server.app.inject({ method: 'GET', url: '/v2/health/ready' });
    expect([ready.statusCode, ready.body]).toEqual([400, '']);
  });

  it('the failed model is not ready and has no metadata; the others serve', async () => {
    expect((await server.app.inject({ method: 'GET', url: '/v2/models/broken/ready' })).statusCode).toBe(400);
    expect((await server.app.inject({ method: 'GET', url: '/v2/models/broken/versions/1/ready' })).statusCode).toBe(400);
    expectError(await server.app.inject({ method: 'GET', url: '/v2/models/broken' }), 404, 'model "broken": ');
    expect((await server.app.inject({ method: 'GET', url: '/v2/models/iris/ready' })).statusCode).toBe(200);
  });
});

describe('Open Inference Protocol with dynamic batching', () => {
  const server = useTestApp({
    // Requests wait for each other long enough to be merged into one inference when they can be.
    env: { MAX_QUEUE_DELAY_US: '50000' },
    prepare: async (modelsDir) => {
      // y = a + b, both [N, 2]: onnxruntime broadcasts a one-row input over the other, so a request may send 1 and 2 rows.
      await writeModel(
        modelsDir,
        'add',
        1,
        buildModel({
          inputs: [
            { name: 'a', elemType: ELEM.FLOAT, dims: ['N', 2] },
            { name: 'b', elemType: ELEM.FLOAT, dims: ['N', 2] },
          ],
          outputs: [{ name: 'y', elemType: ELEM.FLOAT, dims: ['N', 2] }],
          nodes: [{ opType: 'Add', input: ['a', 'b'], output: ['y'] }],
        }),
      );
    },
  });

  const send = (a: number[][], b: number[][]) =>
    server.app.inject({
      method: 'POST',
      url: '/v2/models/add/infer',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        inputs: [
          { name: 'a', shape: [a.length, 2], datatype: 'FP32', data: a },
          { name: 'b', shape: [b.length, 2], datatype: 'FP32', data: b },
        ],
      }),
    });

  it('a request whose inputs have different first dimensions never spoils the requests batched with it', async () => {
    const broadcast = () => send([[1, 1]], [[1, 2], [3, 4]]);
    const plain = (k: number) => send([[k, k]], [[1, 1]]);
    const answers = await Promise.all([broadcast(), plain(10), plain(20), broadcast(), plain(30)]);
    // Exact on any CPU: sums of small integers are exact in float32.
    expect(answers.map((answer) => [answer.statusCode, answer.json().outputs?.[0].data])).toEqual([
      [200, [2, 3, 4, 5]],
      [200, [11, 11]],
      [200, [21, 21]],
      [200, [2, 3, 4, 5]],
      [200, [31, 31]],
    ]);
  });
});
