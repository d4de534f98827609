import { status as Status, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClient, type GrpcTestClient } from './support/grpc-client';
import { ELEM, multiIoModel, identityModel, writeModel } from './support/onnx-models';
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
});
