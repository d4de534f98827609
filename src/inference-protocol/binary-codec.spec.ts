import { describe, expect, it } from 'vitest';
import { DomainError } from '../common/errors/domain-error';
import type { DataType, Tensor } from '../inference/tensors';
import {
  decodeBinaryTensor,
  deserializeBytesTensor,
  encodeBinaryTensor,
  encodeInferenceBody,
  readInferenceBody,
  serializeBytesTensor,
  sliceBinaryInputs,
} from './binary-codec';

const DEPTH = { maxDepth: 64, maxContainers: 100_000 };

function badRequest(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('BAD_REQUEST');
    return (error as DomainError).message;
  }
  throw new Error('expected a BAD_REQUEST DomainError');
}

/** Bytes as Triton lays them out: little-endian, whatever the host. */
function littleEndian(type: DataType, values: readonly (number | bigint)[]): Buffer {
  const size = { int8: 1, uint8: 1, bool: 1, int16: 2, uint16: 2, float16: 2, int32: 4, uint32: 4, float32: 4, int64: 8, uint64: 8, float64: 8 }[
    type as Exclude<DataType, 'string'>
  ];
  const out = Buffer.alloc(values.length * size);
  values.forEach((value, i) => {
    const at = i * size;
    switch (type) {
      case 'int8': out.writeInt8(value as number, at); break;
      case 'uint8': case 'bool': out.writeUInt8(value as number, at); break;
      case 'int16': out.writeInt16LE(value as number, at); break;
      case 'uint16': case 'float16': out.writeUInt16LE(value as number, at); break;
      case 'int32': out.writeInt32LE(value as number, at); break;
      case 'uint32': out.writeUInt32LE(value as number, at); break;
      case 'float32': out.writeFloatLE(value as number, at); break;
      case 'float64': out.writeDoubleLE(value as number, at); break;
      case 'int64': out.writeBigInt64LE(value as bigint, at); break;
      case 'uint64': out.writeBigUInt64LE(value as bigint, at); break;
    }
  });
  return out;
}

describe('readInferenceBody', () => {
  const request = { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] };

  it('passes a body the JSON parser already parsed through', () => {
    expect(readInferenceBody(request, undefined, DEPTH)).toEqual({ header: request, binary: Buffer.alloc(0) });
  });

  it('parses a raw body without Inference-Header-Content-Length as JSON (tritonclient sends no Content-Type)', () => {
    expect(readInferenceBody(Buffer.from(JSON.stringify(request)), undefined, DEPTH).header).toEqual(request);
  });

  it('splits the JSON header from the binary data at Inference-Header-Content-Length', () => {
    const json = Buffer.from('{"inputs":[{"name":"é"}]}'); // the length is in bytes, not characters
    const { header, binary } = readInferenceBody(Buffer.concat([json, Buffer.from([1, 2, 3])]), String(json.length), DEPTH);
    expect(header).toEqual({ inputs: [{ name: 'é' }] });
    expect([...binary]).toEqual([1, 2, 3]);
  });

  it.each([
    [undefined, undefined, 'request body is empty'],
    [Buffer.alloc(0), undefined, 'request body is empty'],
    [Buffer.from('{"inputs": ['), undefined, 'request body is not valid JSON'],
    [Buffer.from('{"inputs": []}'), '99', 'Inference-Header-Content-Length is 99, but the request body has only 14 bytes'],
    [Buffer.from('{"inputs": []}'), 'ten', 'Inference-Header-Content-Length must be the length in bytes of the JSON header'],
    [Buffer.from('{"inputs": []}'), '-1', 'Inference-Header-Content-Length must be the length in bytes of the JSON header'],
    [Buffer.from('{"inputs": []}'), ['5', '5'], 'Inference-Header-Content-Length must be given once'],
    [Buffer.from('{"inputs": []}xyz'), '0', 'JSON header (the first Inference-Header-Content-Length bytes) is empty'],
    [Buffer.from('{"inputs": []}xyz'), '10', 'JSON header (the first Inference-Header-Content-Length bytes) is not valid JSON'],
    [Buffer.from('{"__proto__": {"x": 1}, "inputs": []}'), undefined, 'request body: __proto__: the key "__proto__" is not allowed'],
    [Buffer.from('{"inputs": [{"parameters": {"x": {"__proto__": 1}}}]}'), undefined, 'inputs[0].parameters.x.__proto__: the key "__proto__" is not allowed'],
    [Buffer.from('{"inputs": [{"parameters": {"\\u005f_proto__": 1}}]}'), undefined, 'inputs[0].parameters.__proto__: the key "__proto__" is not allowed'],
    [Buffer.from('{"parameters": {"constructor": {"prototype": {}}}}'), undefined, 'parameters.constructor.prototype: the key "constructor.prototype" is not allowed'],
    [Buffer.from(`${'['.repeat(100)}${']'.repeat(100)}`), undefined, 'request body is nested deeper than 64 levels'],
  ])('refuses %s with header %s: %s', (body, header, message) => {
    expect(badRequest(() => readInferenceBody(body, header as string | string[] | undefined, DEPTH))).toContain(message);
  });
});

describe('sliceBinaryInputs', () => {
  const binary = Buffer.from([0, 1, 2, 3, 4, 5, 6]);

  it('gives each input that declares binary_data_size its bytes, in input order', () => {
    const slices = sliceBinaryInputs(
      [
        { name: 'a', parameters: { binary_data_size: 4 } },
        { name: 'json' },
        { name: 'b', parameters: { binary_data_size: 3 } },
      ],
      binary,
    );
    expect(slices.map((slice) => (slice ? [...slice] : undefined))).toEqual([[0, 1, 2, 3], undefined, [4, 5, 6]]);
  });

  it('accepts no binary data when no input declares any', () => {
    expect(sliceBinaryInputs([{ name: 'a' }], Buffer.alloc(0))).toEqual([undefined]);
  });

  it.each([
    [[{ name: 'a', parameters: { binary_data_size: 8 } }], 'input "a": binary_data_size is 8 bytes, but only 7 bytes of binary data are left'],
    [
      [{ name: 'a', parameters: { binary_data_size: 4 } }, { name: 'b', parameters: { binary_data_size: 4 } }],
      'input "b": binary_data_size is 4 bytes, but only 3 bytes of binary data are left after the JSON header and the inputs before it',
    ],
    [
      [{ name: 'a', parameters: { binary_data_size: 4 } }, { name: 'b', parameters: { binary_data_size: 2 } }],
      '7 bytes of binary data follow the JSON header, but the inputs\' binary_data_size ("a": 4, "b": 2) add up to 6',
    ],
    [[{ name: 'a' }], '7 bytes follow the JSON header, but no input declares parameters.binary_data_size'],
    [[{ name: 'a', parameters: { binary_data_size: -1 } }], 'input "a": parameters.binary_data_size must be a non-negative integer, got -1'],
    [[{ name: 'a', parameters: { binary_data_size: '7' } }], 'input "a": parameters.binary_data_size must be a non-negative integer, got "7"'],
    [[{ name: 'a', parameters: { binary_data_size: 6.5 } }], 'must be a non-negative integer, got 6.5'],
  ])('refuses sizes that do not add up: %j', (inputs, message) => {
    expect(badRequest(() => sliceBinaryInputs(inputs, binary))).toContain(message);
  });
});

describe('decodeBinaryTensor / encodeBinaryTensor', () => {
  const cases: [DataType, (number | bigint)[]][] = [
    ['bool', [1, 0, 1, 1]],
    ['uint8', [0, 255, 7, 128]],
    ['int8', [-128, 127, 0, -1]],
    ['uint16', [0, 65535, 1, 300]],
    ['int16', [-32768, 32767, 0, -1]],
    ['float16', [0x3c00, 0xc100, 0x7bff, 0]],
    ['uint32', [0, 4294967295, 5, 70000]],
    ['int32', [-2147483648, 2147483647, 0, -1]],
    ['float32', [1.5, -2.25, 0.5, 3]],
    ['int64', [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n]],
    ['uint64', [0n, 2n ** 64n - 1n, 2n ** 53n + 1n, 1n]],
    ['float64', [0.1, -1e300, Number.MIN_VALUE, 2]],
  ];

  it.each(cases)('%s: little-endian bytes decode to the values and encode back to the same bytes', (type, values) => {
    const bytes = littleEndian(type, values);
    // An odd offset in a larger buffer: the decoder must not need aligned input.
    const unaligned = Buffer.concat([Buffer.from([9]), bytes]).subarray(1);
    const data = decodeBinaryTensor('x', type, [2, 2], unaligned);
    expect(Array.from(data as ArrayLike<unknown>)).toEqual(values);
    expect(encodeBinaryTensor({ type, dims: [2, 2], data } as Tensor).equals(bytes)).toBe(true);
  });

  it('refuses a size that is not element count × element size, naming the input', () => {
    expect(badRequest(() => decodeBinaryTensor('pixels', 'float32', [1, 4], Buffer.alloc(12)))).toBe(
      'input "pixels": binary_data_size is 12 bytes, but shape [1, 4] of FP32 needs 16 (4 elements × 4 bytes)',
    );
  });

  it('refuses a BOOL byte other than 0 or 1', () => {
    expect(badRequest(() => decodeBinaryTensor('flags', 'bool', [3], Buffer.from([1, 0, 2])))).toBe(
      'input "flags": BOOL element 2 is the byte 2; a binary BOOL is 1 (true) or 0 (false)',
    );
  });

  it('keeps NaN and infinities, which only the binary form can carry', () => {
    const data = decodeBinaryTensor('x', 'float32', [3], littleEndian('float32', [Number.NaN, Infinity, -Infinity]));
    expect([...(data as Float32Array)]).toEqual([Number.NaN, Infinity, -Infinity]);
  });
});

describe('BYTES', () => {
  const elements = ['a', 'héllo', '', '🙂 ok'];

  it('serializes each element as a 4-byte little-endian length and its UTF-8 bytes', () => {
    const bytes = serializeBytesTensor(['ab', 'é']);
    expect([...bytes]).toEqual([2, 0, 0, 0, 0x61, 0x62, 2, 0, 0, 0, 0xc3, 0xa9]);
  });

  it('round-trips strings, and decodes through decodeBinaryTensor for string tensors', () => {
    const bytes = serializeBytesTensor(elements);
    expect(deserializeBytesTensor('t', [4], bytes)).toEqual(elements);
    expect(decodeBinaryTensor('t', 'string', [2, 2], bytes)).toEqual(elements);
    expect(encodeBinaryTensor({ type: 'string', dims: [4], data: elements }).equals(bytes)).toBe(true);
  });

  it.each([
    [Buffer.from([2, 0, 0]), [1], 'input "t": BYTES element 0 has a truncated length prefix (3 of 4 bytes)'],
    [Buffer.from([9, 0, 0, 0, 0x61]), [1], 'input "t": BYTES element 0 declares 9 bytes, but only 1 remain in its binary data'],
    [Buffer.from([1, 0, 0, 0, 0x61]), [2], 'input "t": binary data holds 1 BYTES elements, but shape [2] needs 2'],
    [Buffer.from([1, 0, 0, 0, 0x61, 0, 0, 0, 0]), [1], 'input "t": binary data holds more than the 1 BYTES elements of shape [1] (4 bytes left over)'],
    [Buffer.from([2, 0, 0, 0, 0xc3, 0x28]), [1], 'input "t": BYTES element 0 is not valid UTF-8'],
  ])('refuses malformed BYTES data %#', (bytes, shape, message) => {
    expect(badRequest(() => deserializeBytesTensor('t', shape, bytes))).toContain(message);
  });
});

describe('encodeInferenceBody', () => {
  it('is the JSON alone when no output is binary', () => {
    const { body, headerLength } = encodeInferenceBody('{"outputs":[]}', undefined);
    expect(body.toString()).toBe('{"outputs":[]}');
    expect(headerLength).toBeUndefined();
  });

  it('puts the binary outputs after the JSON and gives the JSON length in bytes', () => {
    const json = '{"id":"é"}';
    const { body, headerLength } = encodeInferenceBody(json, [Buffer.from([1, 2]), Buffer.from([3])]) as { body: Buffer; headerLength: number };
    expect(headerLength).toBe(Buffer.byteLength(json));
    expect(body.subarray(0, headerLength).toString()).toBe(json);
    expect([...body.subarray(headerLength)]).toEqual([1, 2, 3]);
  });
});
