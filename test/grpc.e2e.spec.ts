import { status as Status, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { ShutdownState } from '../src/lifecycle/shutdown-state';
import { PINO_LOGGER } from '../src/observability/logger';
import { MetricsRegistry } from '../src/observability/metrics-registry';
import { grpcClient, serializedRequest, type GrpcTestClient } from './support/grpc-client';
import { irisProbabilities } from './support/iris';
import { ELEM, identityModel, multiIoModel, writeModel } from './support/onnx-models';
import { encodeMessage, messageField, packedField, stringField, tag, varint, WIRE } from './support/protobuf-wire';
import { useTestApp } from './support/test-app';

const FLOWERS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
];

const float32Bytes = (values: number[]) => Buffer.from(Float32Array.from(values).buffer);
const float32sOf = (bytes: Buffer) => Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
const irisInput = (rows: number[][]) => ({ name: 'input', datatype: 'FP32', shape: [rows.length, 4] });

/** The rejection of a call, asserted on its gRPC status code and message. */
async function expectStatus(call: Promise<unknown>, code: Status, message: string | RegExp): Promise<ServiceError> {
  const error = (await call.then(
    () => {
      throw new Error(`expected status ${Status[code]}, the call succeeded`);
    },
    (e: ServiceError) => e,
  )) as ServiceError;
  expect(Status[error.code], error.details).toBe(Status[code]);
  if (typeof message === 'string') expect(error.details).toContain(message);
  else expect(error.details).toMatch(message);
  return error;
}

describe('Open Inference Protocol over gRPC, with a @grpc/grpc-js client', () => {
  let client: GrpcTestClient;
  const server = useTestApp({
    models: ['iris'],
    grpc: true,
    env: { GRPC_MAX_MESSAGE_BYTES: '65536', LOG_LEVEL: 'info' },
    prepare: async (modelsDir) => {
      await writeModel(modelsDir, 'multi', 1, multiIoModel());
      await writeModel(modelsDir, 'identity_fp16', 1, identityModel(ELEM.FLOAT16));
      await writeModel(modelsDir, 'identity_int8', 1, identityModel(ELEM.INT8));
      await writeModel(modelsDir, 'identity_uint64', 1, identityModel(ELEM.UINT64));
    },
  });
  let info: MockInstance;

  beforeAll(async () => {
    client = grpcClient(server.grpcPort);
    info = vi.spyOn(server.app.get<Logger>(PINO_LOGGER), 'info').mockImplementation(() => undefined);
  });
  afterAll(() => client?.close());

  it('answers live, ready, server metadata and model readiness as /v2 REST does', async () => {
    expect(await client.call('ServerLive', {})).toEqual({ live: true });
    expect(await client.call('ServerReady', {})).toEqual({ ready: true });
    expect(await client.call('ServerMetadata', {})).toMatchObject({ name: 'onnx-model-server', extensions: ['binary_tensor_data'] });
    expect(await client.call('ModelReady', { name: 'iris', version: '' })).toEqual({ ready: true });
    expect(await client.call('ModelReady', { name: 'iris', version: '2' })).toEqual({ ready: true });
    expect(await client.call('ModelReady', { name: 'iris', version: 'canary' })).toEqual({ ready: true });
    expect(await client.call('ModelReady', { name: 'iris', version: '9' })).toEqual({ ready: false });
    expect(await client.call('ModelReady', { name: 'nope', version: '' })).toEqual({ ready: false });
  });

  it('gives model metadata with -1 for open dimensions, for the default or a named version', async () => {
    const metadata = await client.call('ModelMetadata', { name: 'iris', version: '' });
    expect(metadata).toEqual({
      name: 'iris',
      versions: ['1', '2'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: ['-1', '4'] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: ['-1', '3'] }],
    });
    await expectStatus(client.call('ModelMetadata', { name: 'iris', version: '7' }), Status.NOT_FOUND, 'version 7');
  });

  it('infers from raw_input_contents and from typed contents alike, and says which version served', async () => {
    const expected = await irisProbabilities(1, FLOWERS);
    const raw = await client.call('ModelInfer', {
      model_name: 'iris',
      id: 'req-1',
      inputs: [irisInput(FLOWERS)],
      raw_input_contents: [float32Bytes(FLOWERS.flat())],
    });
    expect(raw).toMatchObject({ model_name: 'iris', model_version: '1', id: 'req-1', outputs: [{ name: 'probabilities', datatype: 'FP32', shape: ['2', '3'] }] });
    expect(float32sOf(raw.raw_output_contents[0])).toMatchModelOutput(expected.flat());

    const typed = await client.call('ModelInfer', {
      model_name: 'iris',
      inputs: [{ ...irisInput(FLOWERS), contents: { fp32_contents: FLOWERS.flat() } }],
    });
    expect(float32sOf(typed.raw_output_contents[0])).toMatchModelOutput(expected.flat());
    expect(typed.id).toBe('');
  });

  it('chooses the version by model_version (number or label), else X-Model-Version metadata, else the default', async () => {
    const served = async (model_version: string, metadata?: Record<string, string>) =>
      (await client.call('ModelInfer', { model_name: 'iris', model_version, inputs: [irisInput(FLOWERS)], raw_input_contents: [float32Bytes(FLOWERS.flat())] }, { metadata }))
        .model_version;
    expect(await served('')).toBe('1');
    expect(await served('2')).toBe('2');
    expect(await served('canary')).toBe('2');
    expect(await served('stable')).toBe('1');
    expect(await served('', { 'x-model-version': 'canary' })).toBe('2');
    expect(await served('1', { 'x-model-version': '2' })).toBe('1');
    const v2 = await client.call('ModelInfer', { model_name: 'iris', model_version: '2', inputs: [irisInput(FLOWERS)], raw_input_contents: [float32Bytes(FLOWERS.flat())] });
    expect(float32sOf(v2.raw_output_contents[0])).toMatchModelOutput((await irisProbabilities(2, FLOWERS)).flat());
  });

  it.each([' 1', '1 ', '01', '\t2', ' canary'])('refuses model_version %j as the REST path does, naming the value', async (version) => {
    const request = { model_name: 'iris', model_version: version, inputs: [irisInput(FLOWERS)], raw_input_contents: [float32Bytes(FLOWERS.flat())] };
    const expected = `must be a positive integer version or a label: a version is digits only, without a leading zero or spaces (e.g. 1); a label starts with a letter, then letters, digits, _ . - (e.g. stable); got ${JSON.stringify(version)}`;
    await expectStatus(client.call('ModelInfer', request), Status.INVALID_ARGUMENT, `the model_version field ${expected}`);
    await expectStatus(client.call('ModelMetadata', { name: 'iris', version }), Status.INVALID_ARGUMENT, `the version field ${expected}`);
    await expectStatus(client.call('ModelReady', { name: 'iris', version }), Status.INVALID_ARGUMENT, `the version field ${expected}`);
    const rest = await server.app.inject({ method: 'GET', url: `/v2/models/iris/versions/${encodeURIComponent(version)}/ready` });
    expect(rest.statusCode).toBe(400);
  });

  describe('a dimension out of range is named as the client sent it, over gRPC, /v2 JSON and /v2 binary alike', () => {
    const RULE = 'a dimension must be an integer from 0 to 9007199254740991';
    it.each([
      ['4611686018427387904', `inputs[0].shape: dimension 0 is 4611686018427387904; ${RULE}`],
      ['9223372036854775807', `inputs[0].shape: dimension 0 is 9223372036854775807; ${RULE}`],
      ['9007199254740993', `inputs[0].shape: dimension 0 is 9007199254740993; ${RULE}`],
      ['-3', `inputs[0].shape: dimension 0 is -3; ${RULE}`],
      ['-9223372036854775808', `inputs[0].shape: dimension 0 is -9223372036854775808; ${RULE}`],
    ])('gRPC int64 %s, to the digit', async (dimension, expected) => {
      const error = await expectStatus(
        client.call('ModelInfer', { model_name: 'iris', inputs: [{ name: 'input', datatype: 'FP32', shape: [dimension, '4'] }], raw_input_contents: [float32Bytes([1, 2, 3, 4])] }),
        Status.INVALID_ARGUMENT,
        expected,
      );
      expect(error.details).not.toMatch(/4611686018427388000|9223372036854776000|9007199254740992/);
    });

    const v2 = async (shapeText: string, binary: boolean) => {
      const input = binary ? `"parameters":{"binary_data_size":16}` : `"data":[1,2,3,4]`;
      const header = `{"inputs":[{"name":"input","datatype":"FP32","shape":${shapeText},${input}}]}`;
      const response = await server.app.inject({
        method: 'POST',
        url: '/v2/models/iris/infer',
        payload: binary ? Buffer.concat([Buffer.from(header), Buffer.alloc(16)]) : header,
        headers: binary ? { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(Buffer.byteLength(header)) } : { 'content-type': 'application/json' },
      });
      return { status: response.statusCode, error: response.json().error as string };
    };
    it.each([
      // JSON numbers above 2^53 are rounded as they are parsed: said to be too large, not printed.
      ['[4611686018427387904, 4]', 'inputs[0].shape: dimension 0 is larger than 9007199254740991, the largest integer a JSON number carries exactly here'],
      ['[1, 9007199254740993]', 'inputs[0].shape: dimension 1 is larger than 9007199254740991'],
      ['[-4611686018427387904, 4]', 'inputs[0].shape: dimension 0 is a negative number below -9007199254740991'],
      ['[-3, 4]', `inputs[0].shape: dimension 0 is -3; ${RULE}`],
      ['[1.5, 4]', `inputs[0].shape: dimension 0 is 1.5; ${RULE}`],
    ])('/v2 shape %s, as JSON and in a binary request header', async (shape, expected) => {
      for (const binary of [false, true]) {
        const { status, error } = await v2(shape, binary);
        expect(status, error).toBe(400);
        expect(error).toContain(expected);
        expect(error).not.toMatch(/4611686018427388000|9007199254740992/);
      }
    });
  });

  it('carries several inputs and outputs of every kind (INT64, BOOL, BYTES, FP32), requested outputs in the order asked', async () => {
    const response = await client.call('ModelInfer', {
      model_name: 'multi',
      inputs: [
        { name: 'ids', datatype: 'INT64', shape: [1, 3], contents: { int64_contents: ['9007199254740993', '-2', '0'] } },
        { name: 'mask', datatype: 'BOOL', shape: [1, 3], contents: { bool_contents: [true, false, true] } },
        { name: 'text', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from('héllo')] } },
        { name: 'scale', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1.5, 2, 3] } },
      ],
      outputs: [{ name: 'count' }, { name: 'echoed' }, { name: 'doubled' }, { name: 'masked' }],
    });
    expect(response.outputs.map((o: { name: string; datatype: string; shape: string[] }) => [o.name, o.datatype, o.shape])).toEqual([
      ['count', 'INT64', []],
      ['echoed', 'BYTES', ['1']],
      ['doubled', 'INT64', ['1', '3']],
      ['masked', 'FP32', ['1', '3']],
    ]);
    const [count, echoed, doubled, masked] = response.raw_output_contents as Buffer[];
    expect(count.readBigInt64LE(0)).toBe(2n);
    expect(echoed.readUInt32LE(0)).toBe(Buffer.byteLength('héllo'));
    expect(echoed.subarray(4).toString('utf8')).toBe('héllo');
    expect([0, 8, 16].map((offset) => doubled.readBigInt64LE(offset))).toEqual([18014398509481986n, -4n, 0n]);
    expect(float32sOf(masked)).toEqual([1.5, 0, 3]);
  });

  it('takes FP16 as raw bytes and every integer width from its typed field, range-checked', async () => {
    const half = Buffer.from(Uint16Array.from([0x3c00, 0xc100]).buffer);
    const fp16 = await client.call('ModelInfer', { model_name: 'identity_fp16', inputs: [{ name: 'x', datatype: 'FP16', shape: [1, 2] }], raw_input_contents: [half] });
    expect(Buffer.compare(fp16.raw_output_contents[0], half)).toBe(0);
    const int8 = await client.call('ModelInfer', { model_name: 'identity_int8', inputs: [{ name: 'x', datatype: 'INT8', shape: [1, 2], contents: { int_contents: [-128, 127] } }] });
    expect([...new Int8Array(int8.raw_output_contents[0])]).toEqual([-128, 127]);
    const uint64 = await client.call('ModelInfer', {
      model_name: 'identity_uint64',
      inputs: [{ name: 'x', datatype: 'UINT64', shape: [1, 2], contents: { uint64_contents: ['18446744073709551615', '1'] } }],
    });
    expect(uint64.raw_output_contents[0].readBigUInt64LE(0)).toBe(18446744073709551615n);
    await expectStatus(
      client.call('ModelInfer', { model_name: 'identity_int8', inputs: [{ name: 'x', datatype: 'INT8', shape: [1, 2], contents: { int_contents: [1, 300] } }] }),
      Status.INVALID_ARGUMENT,
      'INT8',
    );
  });

  describe('every client mistake is INVALID_ARGUMENT (or NOT_FOUND) with a message naming it', () => {
    const iris = (request: Record<string, unknown>) => client.call('ModelInfer', { model_name: 'iris', ...request });
    const cases: [string, () => Promise<unknown>, Status, string | RegExp][] = [
      ['no inputs', () => iris({ inputs: [] }), Status.INVALID_ARGUMENT, 'the request has no inputs'],
      ['a wrong datatype', () => iris({ inputs: [{ name: 'input', datatype: 'FP64', shape: [1, 4], contents: { fp64_contents: [1, 2, 3, 4] } }] }), Status.INVALID_ARGUMENT, 'has datatype FP64, but the model expects FP32'],
      ['an unknown datatype', () => iris({ inputs: [{ name: 'input', datatype: 'FP8', shape: [1, 4] }], raw_input_contents: [Buffer.alloc(4)] }), Status.INVALID_ARGUMENT, 'datatype'],
      ['a wrong shape', () => iris({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 5] }], raw_input_contents: [float32Bytes([1, 2, 3, 4, 5])] }), Status.INVALID_ARGUMENT, 'has shape [1, 5], but the model expects [-1, 4]'],
      ['raw bytes that do not fit the shape', () => iris({ inputs: [irisInput([[1, 2, 3, 4]])], raw_input_contents: [Buffer.alloc(12)] }), Status.INVALID_ARGUMENT, 'is 12 bytes, but shape [1, 4] of FP32 needs 16'],
      ['typed values that do not fit the shape', () => iris({ inputs: [{ ...irisInput([[1, 2, 3, 4]]), contents: { fp32_contents: [1, 2, 3] } }] }), Status.INVALID_ARGUMENT, '"input"'],
      ['an unknown input', () => iris({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [float32Bytes([1, 2, 3, 4])] }), Status.INVALID_ARGUMENT, 'unknown input "features"'],
      ['an unknown output', () => iris({ inputs: [irisInput([[1, 2, 3, 4]])], raw_input_contents: [float32Bytes([1, 2, 3, 4])], outputs: [{ name: 'label' }] }), Status.INVALID_ARGUMENT, 'unknown output "label"'],
      ['raw contents for some inputs only', () => iris({ inputs: [irisInput([[1, 2, 3, 4]]), irisInput([[1, 2, 3, 4]])], raw_input_contents: [float32Bytes([1, 2, 3, 4])] }), Status.INVALID_ARGUMENT, 'raw_input_contents has 1 entries, but the request has 2 inputs'],
      ['raw and typed contents mixed', () => iris({ inputs: [{ ...irisInput([[1, 2, 3, 4]]), contents: { fp32_contents: [1, 2, 3, 4] } }], raw_input_contents: [float32Bytes([1, 2, 3, 4])] }), Status.INVALID_ARGUMENT, 'raw_input_contents is used'],
      ['values in the field of another datatype', () => iris({ inputs: [{ ...irisInput([[1, 2, 3, 4]]), contents: { int_contents: [1, 2, 3, 4] } }] }), Status.INVALID_ARGUMENT, 'whose values go in contents.fp32_contents, not contents.int_contents'],
      ['an input without data', () => iris({ inputs: [irisInput([[1, 2, 3, 4]])] }), Status.INVALID_ARGUMENT, 'has no data'],
      ['FP16 as typed values', () => client.call('ModelInfer', { model_name: 'identity_fp16', inputs: [{ name: 'x', datatype: 'FP16', shape: [1, 2], contents: { fp32_contents: [1, 2] } }] }), Status.INVALID_ARGUMENT, 'FP16 data must be sent in raw_input_contents'],
      ['a malformed version', () => iris({ model_version: 'x y', inputs: [irisInput([[1, 2, 3, 4]])], raw_input_contents: [float32Bytes([1, 2, 3, 4])] }), Status.INVALID_ARGUMENT, 'the model_version field must be a positive integer version or a label'],
      ['an unknown model', () => client.call('ModelInfer', { model_name: 'nope', inputs: [irisInput([[1, 2, 3, 4]])], raw_input_contents: [float32Bytes([1, 2, 3, 4])] }), Status.NOT_FOUND, 'model "nope" not found'],
      ['an unknown version', () => iris({ model_version: '9', inputs: [irisInput([[1, 2, 3, 4]])], raw_input_contents: [float32Bytes([1, 2, 3, 4])] }), Status.NOT_FOUND, 'version 9'],
      ['the classification extension', () => iris({ inputs: [irisInput([[1, 2, 3, 4]])], raw_input_contents: [float32Bytes([1, 2, 3, 4])], outputs: [{ name: 'probabilities', parameters: { classification: { int64_param: '2' } } }] }), Status.INVALID_ARGUMENT, 'classification extension is not supported'],
      ['bytes that are not a ModelInferRequest', () => client.callRaw('ModelInfer', Buffer.from([0x0a, 0xff, 0xff, 0xff])), Status.INVALID_ARGUMENT, 'not a valid ModelInferRequest message'],
      ['a message over GRPC_MAX_MESSAGE_BYTES', () => iris({ inputs: [irisInput([[1, 2, 3, 4]])], raw_input_contents: [Buffer.alloc(70_000)] }), Status.RESOURCE_EXHAUSTED, /larger than max/],
    ];
    it.each(cases)('%s', async (_name, call, code, message) => {
      await expectStatus(call(), code, message);
    });
  });

  describe('bytes that are not a valid request message are INVALID_ARGUMENT, never decoded in part or run', () => {
    const valid = () => serializedRequest('ModelInfer', { model_name: 'iris', inputs: [irisInput([[1, 2, 3, 4]])], raw_input_contents: [float32Bytes([1, 2, 3, 4])] });
    const cases: [string, string, () => Buffer, string][] = [
      // protobufjs clamps a string's length to the bytes left: model_version "1", and the request ran.
      ['a valid request, then a string longer than the bytes left', 'ModelInfer', () => Buffer.concat([valid(), tag(2, WIRE.LEN), varint(16), Buffer.from('1')]), 'model_version, byte 44: the length says 16 bytes, but only 1 is left'],
      ['a valid request, then a start-group tag', 'ModelInfer', () => Buffer.concat([valid(), tag(6, WIRE.SGROUP), varint(0)]), 'field 6 has a start group tag (wire type 3)'],
      ['a valid request, then field number 0', 'ModelInfer', () => Buffer.concat([valid(), Buffer.from([0x00, 0x01])]), 'a field tag with field number 0'],
      ['a valid request, then a 64-bit varint cut at the end', 'ModelInfer', () => Buffer.concat([valid(), tag(15, WIRE.VARINT), Buffer.from([0x80, 0x80, 0x80])]), 'the value is cut short'],
      ['a known field with the wrong wire type', 'ModelInfer', () => Buffer.concat([valid(), tag(3, WIRE.VARINT), varint(1)]), 'field 3 (id) has wire type 0 (varint)'],
      ['a string cut short in ModelReadyRequest', 'ModelReady', () => Buffer.concat([tag(1, WIRE.LEN), varint(9), Buffer.from('iris')]), 'name, byte 1: the length says 9 bytes, but only 4 are left'],
      ['a group tag in ModelMetadataRequest', 'ModelMetadata', () => Buffer.concat([serializedRequest('ModelMetadata', { name: 'iris' }), tag(2, WIRE.SGROUP)]), 'field 2 has a start group tag'],
      ['trailing garbage after an empty ServerLiveRequest', 'ServerLive', () => Buffer.from([0xff]), 'the field tag is cut short'],
    ];
    it.each(cases)('%s', async (_name, method, bytes, expected) => {
      const messageType = `${method}Request`;
      const error = await expectStatus(client.callRaw(method, bytes()), Status.INVALID_ARGUMENT, `the request is not a valid ${messageType} message: `);
      expect(error.details).toContain(expected);
    });

    it('refuses a truncation inside a nested message whose outer lengths are all consistent', async () => {
      const request = encodeMessage([
        stringField(1, 'iris'),
        messageField(5, [stringField(1, 'input'), stringField(2, 'FP32'), packedField(3, [varint(1), varint(4)], WIRE.VARINT), { number: 5, wireType: WIRE.LEN, value: Buffer.concat([tag(6, WIRE.LEN), varint(16), float32Bytes([1, 2, 3])]) }]),
      ]).bytes;
      await expectStatus(client.callRaw('ModelInfer', request), Status.INVALID_ARGUMENT, 'inputs[0].contents.fp32_contents, byte 28: the length says 16 bytes, but only 12 are left');
    });
  });

  it('answers UNIMPLEMENTED for Triton-only RPCs', async () => {
    await expectStatus(client.callRaw('ModelConfig', Buffer.alloc(0)), Status.UNIMPLEMENTED, 'ModelConfig');
    await expectStatus(client.callRaw('RepositoryIndex', Buffer.alloc(0)), Status.UNIMPLEMENTED, 'RepositoryIndex');
  });

  it('logs one line and counts one call per call, and counts predictions under protocol="grpc"', async () => {
    info.mockClear();
    const requestId = 'grpc-log-check-1';
    await client.call('ModelInfer', { model_name: 'iris', inputs: [irisInput(FLOWERS)], raw_input_contents: [float32Bytes(FLOWERS.flat())] }, { metadata: { 'x-request-id': requestId } });
    await client.call('ModelInfer', { model_name: 'iris', inputs: [] }, { metadata: { 'x-request-id': 'grpc-log-check-2' } }).catch(() => undefined);
    const lines = info.mock.calls.filter(([, message]) => message === 'grpc call completed').map(([line]) => line as Record<string, unknown>);
    expect(lines.filter((line) => line.request_id === requestId)).toEqual([
      expect.objectContaining({ protocol: 'grpc', method: 'ModelInfer', grpc_code: 'OK', model: 'iris', version: 1, outcome: 'success' }),
    ]);
    expect(lines.filter((line) => line.request_id === 'grpc-log-check-2')).toEqual([
      expect.objectContaining({ grpc_code: 'INVALID_ARGUMENT', model: 'iris', outcome: 'invalid_input' }),
    ]);
    const metrics = await server.app.get(MetricsRegistry).scrape();
    expect(metrics).toMatch(/grpc_server_handled_total\{grpc_type="unary",grpc_service="inference.GRPCInferenceService",grpc_method="ModelInfer",grpc_code="OK"\} [1-9]/);
    expect(metrics).toMatch(/grpc_server_handled_total\{[^}]*grpc_method="ModelInfer",grpc_code="INVALID_ARGUMENT"\} [1-9]/);
    expect(metrics).toMatch(/grpc_server_handling_seconds_count\{[^}]*grpc_method="ModelInfer"\} [1-9]/);
    expect(metrics).toMatch(/model_predictions_total\{model="iris",version="1",outcome="success",protocol="grpc"\} [1-9]/);
    expect(metrics).toMatch(/model_predictions_total\{model="iris",version="1",outcome="invalid_input",protocol="grpc"\} [1-9]/);
  });

  it('serves grpc.health.v1 following readiness, NOT_SERVING once draining', async () => {
    // Refreshed from readiness every second: SERVING once the models' load (seen at start) has been noticed.
    await vi.waitFor(async () => expect(await client.health('')).toBe('SERVING'), { timeout: 3_000, interval: 100 });
    expect(await client.health('inference.GRPCInferenceService')).toBe('SERVING');
    server.app.get(ShutdownState).startDraining();
    expect(await client.health('')).toBe('NOT_SERVING');
    expect(await client.call('ServerReady', {})).toEqual({ ready: false });
    server.app.get(ShutdownState).draining = false;
  });
});
