import { status as Status, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, hostileCredentials, ISSUER, jwksOf, keysFileContent, SecretVolume, signingKey } from './support/auth';
import { grpcClient, serializedRequest, type GrpcTestClient } from './support/grpc-client';
import { ELEM, multiIoModel, identityModel, writeModel } from './support/onnx-models';
import {
  encodeMessage,
  messageField,
  nestedMessageLength,
  nestedMessagePaths,
  packedField,
  stringField,
  tag,
  varint,
  varintField,
  WIRE,
  withNestedMessageCut,
  withWireType,
  type Field,
} from './support/protobuf-wire';
import { useTestApp } from './support/test-app';

/**
 * Property-based fuzzing of the gRPC service, as test/fuzz.e2e.spec.ts does for HTTP: generated
 * ModelInferRequests (every field anything its protobuf type allows, biased towards the names and
 * datatypes the models know) and arbitrary bytes in place of a message. The property: every call is
 * answered, OK or with a client status naming the problem; never INTERNAL or UNKNOWN.
 * Fixed seed, so a failure replays; FUZZ_SEED=<n> explores other cases.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const RUNS = 1_000;
const CLIENT_STATUSES = new Set([Status.OK, Status.INVALID_ARGUMENT, Status.NOT_FOUND, Status.RESOURCE_EXHAUSTED, Status.UNAVAILABLE, Status.UNIMPLEMENTED]);

const NAMES = ['input', 'x', 'ids', 'mask', 'text', 'scale', 'probabilities', 'y', 'count', '', 'constructor', '__proto__'];
const DATATYPES = ['FP32', 'FP64', 'FP16', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'BOOL', 'BYTES', 'BF16', 'fp32', ''];
const int64 = fc.oneof(fc.constantFrom('0', '1', '-1', '2', '4', '3', '9223372036854775807', '-9223372036854775808', '4294967296'), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String));
const uint64 = fc.oneof(fc.constantFrom('0', '1', '18446744073709551615'), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String));
const contents = fc.record(
  {
    bool_contents: fc.array(fc.boolean(), { maxLength: 8 }),
    int_contents: fc.array(fc.integer(), { maxLength: 8 }),
    int64_contents: fc.array(int64, { maxLength: 8 }),
    uint_contents: fc.array(fc.nat(), { maxLength: 8 }),
    uint64_contents: fc.array(uint64, { maxLength: 8 }),
    fp32_contents: fc.array(fc.float(), { maxLength: 8 }),
    fp64_contents: fc.array(fc.double(), { maxLength: 8 }),
    bytes_contents: fc.array(fc.uint8Array({ maxLength: 6 }).map((bytes) => Buffer.from(bytes)), { maxLength: 4 }),
  },
  { requiredKeys: [] },
);
const parameter = fc.oneof(
  fc.record({ bool_param: fc.boolean() }),
  fc.record({ int64_param: int64 }),
  fc.record({ string_param: fc.string({ maxLength: 8 }) }),
  fc.record({ double_param: fc.double() }),
  fc.record({ uint64_param: uint64 }),
);
const parameters = fc.dictionary(fc.constantFrom('binary_data', 'binary_data_output', 'classification', 'shared_memory_region', 'binary_data_size', 'x'), parameter, { maxKeys: 3 });
const input = fc.record(
  {
    name: fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 6 })),
    datatype: fc.oneof(fc.constantFrom(...DATATYPES), fc.string({ maxLength: 5 })),
    shape: fc.array(fc.oneof(fc.constantFrom('1', '2', '3', '4', '0', '-1'), int64), { maxLength: 4 }),
    parameters,
    contents,
  },
  { requiredKeys: ['name', 'datatype', 'shape'] },
);
const inferRequest = fc.record(
  {
    model_name: fc.oneof(fc.constantFrom('iris', 'multi', 'identity_fp16', 'nope', '', 'toString'), fc.string({ maxLength: 6 })),
    model_version: fc.oneof(fc.constantFrom('', '1', '2', '0', '-1', 'canary', 'stable', 'constructor', '99999999999999999999', 'x y'), fc.string({ maxLength: 6 })),
    id: fc.string({ maxLength: 8 }),
    parameters,
    inputs: fc.array(input, { maxLength: 4 }),
    outputs: fc.array(fc.record({ name: fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 6 })), parameters }), { maxLength: 3 }),
    raw_input_contents: fc.array(fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)), { maxLength: 4 }),
  },
  { requiredKeys: [] },
);

const float32Bytes = (values: number[]) => Buffer.from(Float32Array.from(values).buffer);

/** Valid requests as a client's serializer writes them; each ends with a field the request cannot do without. */
const VALID_REQUESTS: Record<string, object> = {
  'iris, raw contents, with id, parameters and outputs': {
    model_name: 'iris',
    id: 'cut-1',
    parameters: { sequence_id: { int64_param: '7' } },
    inputs: [{ name: 'input', datatype: 'FP32', shape: ['1', '4'] }],
    outputs: [{ name: 'probabilities', parameters: { binary_data: { bool_param: true } } }],
    raw_input_contents: [float32Bytes([5.1, 3.5, 1.4, 0.2])],
  },
  'iris version 2, typed contents': {
    model_name: 'iris',
    model_version: '2',
    inputs: [{ name: 'input', datatype: 'FP32', shape: ['2', '4'], contents: { fp32_contents: [5.1, 3.5, 1.4, 0.2, 6.7, 3, 5.2, 2.3] } }],
  },
  'multi, every typed field': {
    model_name: 'multi',
    inputs: [
      { name: 'ids', datatype: 'INT64', shape: ['1', '3'], contents: { int64_contents: ['9007199254740993', '-2', '300'] } },
      { name: 'mask', datatype: 'BOOL', shape: ['1', '3'], contents: { bool_contents: [true, false, true] } },
      { name: 'text', datatype: 'BYTES', shape: ['1'], contents: { bytes_contents: [Buffer.from('héllo')] } },
      { name: 'scale', datatype: 'FP32', shape: ['1', '3'], contents: { fp32_contents: [1.5, 2, 3] } },
    ],
  },
  'identity_fp16, raw contents': {
    model_name: 'identity_fp16',
    inputs: [{ name: 'x', datatype: 'FP16', shape: ['1', '2'] }],
    raw_input_contents: [Buffer.from(Uint16Array.from([0x3c00, 0xc100]).buffer)],
  },
};

/** Where the serializer starts each field (each element of a repeated field, each entry of a map): a cut there leaves a shorter message. */
function fieldBoundaries(request: object): Set<number> {
  const boundaries = new Set<number>([0]);
  let end = 0;
  for (const [key, value] of Object.entries(request)) {
    const occurrences = Array.isArray(value) ? value.map((element) => [element]) : typeof value === 'object' ? Object.entries(value).map(([k, v]) => ({ [k]: v })) : [value];
    for (const occurrence of occurrences) boundaries.add((end += serializedRequest('ModelInfer', { [key]: occurrence }).length));
  }
  return boundaries;
}

const tensor = (name: string, datatype: string, shape: number[], contents: readonly Field[] = []): Field =>
  messageField(5, [stringField(1, name), stringField(2, datatype), packedField(3, shape.map(varint), WIRE.VARINT), ...(contents.length ? [messageField(5, contents)] : [])]);
const parameterEntry = (number: number, key: string, value: Field): Field => messageField(number, [stringField(1, key), messageField(2, [value])]);

/**
 * Valid requests written field by field, so that tests know where every tag and nested message is.
 * Every field matters to the request: a nested message cut between two of its fields is then still
 * refused, for what it lacks (a cut before an optional field would leave a shorter, valid request).
 */
const HAND_WRITTEN: Record<string, readonly Field[]> = {
  'iris, raw contents': [
    stringField(1, 'iris'),
    stringField(3, 'hand-1'),
    parameterEntry(4, 'sequence_id', varintField(2, 7)),
    tensor('input', 'FP32', [1, 4]),
    messageField(6, [stringField(1, 'probabilities')]),
    stringField(7, float32Bytes([5.1, 3.5, 1.4, 0.2])),
  ],
  'multi, typed contents': [
    stringField(1, 'multi'),
    tensor('ids', 'INT64', [1, 3], [packedField(3, [varint(-2), varint(2n ** 60n), varint(3)], WIRE.VARINT)]),
    tensor('mask', 'BOOL', [1, 3], [packedField(1, [varint(1), varint(0), varint(1)], WIRE.VARINT)]),
    tensor('text', 'BYTES', [2], [stringField(8, 'héllo'), stringField(8, '')]),
    tensor('scale', 'FP32', [1, 3], [packedField(6, [float32Bytes([1.5, 2, 3])], WIRE.I32)]),
  ],
};

describe('gRPC fuzzing: no generated call gets INTERNAL or UNKNOWN', () => {
  const server = useTestApp({
    models: ['iris'],
    grpc: true,
    prepare: async (modelsDir) => {
      await writeModel(modelsDir, 'multi', 1, multiIoModel());
      await writeModel(modelsDir, 'identity_fp16', 1, identityModel(ELEM.FLOAT16));
    },
  });
  let client: GrpcTestClient;
  beforeAll(() => {
    client = grpcClient(server.grpcPort);
  });
  afterAll(() => client?.close());

  async function codeOf(call: Promise<unknown>): Promise<{ code: Status; details: string }> {
    try {
      await call;
      return { code: Status.OK, details: '' };
    } catch (error) {
      return { code: (error as ServiceError).code, details: (error as ServiceError).details };
    }
  }

  it(`answers ${RUNS} generated ModelInferRequests with OK or a client status that says why`, async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(inferRequest, async (request) => {
        const { code, details } = await codeOf(client.call('ModelInfer', request));
        seen.set(Status[code], (seen.get(Status[code]) ?? 0) + 1);
        expect(CLIENT_STATUSES.has(code), `${Status[code]}: ${details}`).toBe(true);
        if (code !== Status.OK) expect(details.length).toBeGreaterThan(5);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The generator reaches past the first checks: some calls succeed, most are refused for a reason.
    expect(seen.get('INVALID_ARGUMENT')).toBeGreaterThan(0);
    expect(seen.get('NOT_FOUND')).toBeGreaterThan(0);
  });

  it(`answers ${RUNS} arbitrary byte strings sent as a ModelInferRequest without INTERNAL or UNKNOWN`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        const { code, details } = await codeOf(client.callRaw('ModelInfer', Buffer.from(bytes)));
        expect(CLIENT_STATUSES.has(code), `${Status[code]}: ${details}`).toBe(true);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it.each(Object.entries(VALID_REQUESTS))('refuses every truncation of a valid request (%s) with INVALID_ARGUMENT, never running it', async (_name, request) => {
    const bytes = serializedRequest('ModelInfer', request);
    expect((await codeOf(client.callRaw('ModelInfer', bytes))).code).toBe(Status.OK);
    const boundaries = fieldBoundaries(request);
    for (let length = 1; length < bytes.length; length++) {
      const { code, details } = await codeOf(client.callRaw('ModelInfer', bytes.subarray(0, length)));
      expect(Status[code], `cut at ${length} of ${bytes.length}: ${details}`).toBe('INVALID_ARGUMENT');
      // A cut between two fields is a valid, shorter message, refused for what it lacks; any other is not a message.
      if (!boundaries.has(length)) expect(details, `cut at ${length}`).toContain('the request is not a valid ModelInferRequest message');
    }
  });

  it.each(Object.entries(HAND_WRITTEN))('refuses every truncation of a nested message at any depth (%s), outer lengths consistent', async (_name, fields) => {
    expect((await codeOf(client.callRaw('ModelInfer', encodeMessage(fields).bytes))).code).toBe(Status.OK);
    const paths = nestedMessagePaths(fields);
    expect(paths.length).toBeGreaterThanOrEqual(4);
    for (const path of paths) {
      for (let length = 0; length < nestedMessageLength(fields, path); length++) {
        const { code, details } = await codeOf(client.callRaw('ModelInfer', encodeMessage(withNestedMessageCut(fields, path, length)).bytes));
        expect(Status[code], `message at ${path.join('.')} cut at ${length}: ${details}`).toBe('INVALID_ARGUMENT');
      }
    }
  });

  it(`refuses ${RUNS} random wire-type flips of a tag as not a valid ModelInferRequest`, async () => {
    const requests = Object.values(HAND_WRITTEN).map((fields) => encodeMessage(fields));
    const flip = fc
      .nat({ max: requests.length - 1 })
      .chain((r) => fc.record({ request: fc.constant(requests[r]), site: fc.constantFrom(...requests[r].tags), wireType: fc.nat({ max: 7 }) }))
      .filter(({ site, wireType }) => !site.accepts.includes(wireType));
    await fc.assert(
      fc.asyncProperty(flip, async ({ request, site, wireType }) => {
        const { code, details } = await codeOf(client.callRaw('ModelInfer', withWireType(request.bytes, site, wireType)));
        expect(Status[code], details).toBe('INVALID_ARGUMENT');
        expect(details).toContain(`the request is not a valid ModelInferRequest message: `);
        expect(details).toContain(`byte ${site.offset}: field `);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('refuses a group of any field number between the fields of a valid request', async () => {
    const fields = HAND_WRITTEN['iris, raw contents'];
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: fields.length }), fc.integer({ min: 1, max: 2 ** 29 - 1 }), async (at, number) => {
        const group = Buffer.concat([tag(number, WIRE.SGROUP), tag(1, WIRE.VARINT), varint(1), tag(number, WIRE.EGROUP)]);
        const bytes = Buffer.concat([encodeMessage(fields.slice(0, at)).bytes, group, encodeMessage(fields.slice(at)).bytes]);
        const { code, details } = await codeOf(client.callRaw('ModelInfer', bytes));
        expect(Status[code], details).toBe('INVALID_ARGUMENT');
        expect(details).toContain(`field ${number} has a start group tag (wire type 3); groups are not part of proto3`);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});

describe('gRPC fuzzing of credentials (PREDICT_AUTH=keys,jwt): hostile metadata gets UNAUTHENTICATED or PERMISSION_DENIED, never INTERNAL', () => {
  const KEY = 'grpc-fuzz-key-3f8b2d6e1a';
  const volume = new SecretVolume(keysFileContent([{ id: 'fuzzer', key: KEY, models: ['iris'] }]));
  const jwksFile = path.join(volume.dir, 'jwks.json');
  beforeAll(async () => writeFileSync(jwksFile, jwksOf([await signingKey('file-1', 'RS256')])));
  afterAll(() => volume.remove());
  const server = useTestApp({
    models: ['iris', 'digits'],
    grpc: true,
    env: { PREDICT_AUTH: 'keys,jwt', API_KEYS_FILE: volume.file, JWT_JWKS_FILE: jwksFile, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE },
  });
  let client: GrpcTestClient;
  beforeAll(() => {
    client = grpcClient(server.grpcPort);
  });
  afterAll(() => client?.close());
  const AUTH_STATUSES = new Set([...CLIENT_STATUSES, Status.UNAUTHENTICATED, Status.PERMISSION_DENIED]);
  const iris = { model_name: 'iris', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }], raw_input_contents: [Buffer.from(Float32Array.from([5.1, 3.5, 1.4, 0.2]).buffer)] };
  const { authorization, apiKey } = hostileCredentials(KEY);

  it(`answers ${RUNS} calls with hostile authorization and x-api-key metadata with a status that says why`, async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('ModelInfer', 'ModelMetadata', 'ModelReady'), fc.constantFrom('iris', 'digits', 'nope'), authorization, apiKey, async (method, name, auth, key) => {
        const metadata: Record<string, string> = {};
        if (auth !== undefined) metadata.authorization = auth;
        if (key !== undefined) metadata['x-api-key'] = key;
        const request = method === 'ModelInfer' ? { ...iris, model_name: name } : { name, version: '' };
        let code = Status.OK;
        let details = '';
        try {
          await client.call(method, request, { metadata });
        } catch (error) {
          ({ code, details } = error as ServiceError);
        }
        seen.add(Status[code]);
        expect(AUTH_STATUSES.has(code), `${method} ${Status[code]}: ${details}`).toBe(true);
        if (code !== Status.OK) expect(details.length).toBeGreaterThan(5);
        for (const sent of [auth, key]) {
          const credential = sent?.replace(/^\S+\s+/, '');
          if (credential && credential.length >= 16) expect(details).not.toContain(credential);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(seen).toContain('UNAUTHENTICATED');
  });
});
