import { describe, expect, it } from 'vitest';
import { floatToHalf } from '../inference/tensors';
import { decodeJsonTensor, jsonData, stringifyJson } from './json-tensors';

describe('decodeJsonTensor', () => {
  it('takes flat row-major data', () => {
    const decoded = decodeJsonTensor('x', 'int32', [2, 2], [1, 2, 3, 4]);
    expect(decoded.problems).toEqual([]);
    expect([...(decoded.data as Int32Array)]).toEqual([1, 2, 3, 4]);
  });

  it('takes data nested exactly as the shape', () => {
    const decoded = decodeJsonTensor('x', 'float32', [2, 1, 2], [[[1, 2]], [[3, 4]]]);
    expect([...(decoded.data as Float32Array)]).toEqual([1, 2, 3, 4]);
  });

  it.each([
    [[2, 2], [1, 2, 3], 'input "x": data has 3 elements, but shape [2, 2] needs 4'],
    [[2, 2], [[1, 2], [3]], 'input "x": nested data does not follow shape [2, 2]: data[1] should be an array of 2 entries, got 1 entries'],
    [[2, 2], [[1, 2], 3], 'input "x": nested data does not follow shape [2, 2]: data[1] should be an array of 2 entries, got a single value'],
    [[2, 2], [[1, [2]], [3, 4]], 'input "x": nested data does not follow shape [2, 2]: data[0][1] is an array, but the shape has only 2 dimensions'],
    [[2], 'nope', 'input "x": data must be an array'],
  ])('shape %j refuses data %j', (shape, data, message) => {
    expect(decodeJsonTensor('x', 'int32', shape, data).problems).toEqual([message]);
  });

  it('reports values that do not fit the datatype with their element index and the V2 datatype name', () => {
    expect(decodeJsonTensor('x', 'uint8', [3], [1, 300, 2.5]).problems).toEqual([
      'input "x": element 1 must be between 0 and 255 (UINT8)',
      'input "x": element 2 must be an integer (UINT8)',
    ]);
    expect(decodeJsonTensor('b', 'bool', [2], [true, 'yes']).problems).toEqual(['input "b": element 1 must be a boolean']);
    expect(decodeJsonTensor('s', 'string', [1], [5]).problems).toEqual(['input "s": element 0 must be a string']);
  });

  it('stops after 10 problems in one input', () => {
    expect(decodeJsonTensor('x', 'float32', [100], new Array(100).fill('a')).problems).toHaveLength(10);
  });

  it('takes INT64 and UINT64 beyond 2^53 as decimal strings, exactly', () => {
    const int64 = decodeJsonTensor('x', 'int64', [3], ['-9223372036854775808', '9223372036854775807', 5]);
    expect([...(int64.data as BigInt64Array)]).toEqual([-(2n ** 63n), 2n ** 63n - 1n, 5n]);
    const uint64 = decodeJsonTensor('x', 'uint64', [1], ['18446744073709551615']);
    expect([...(uint64.data as BigUint64Array)]).toEqual([2n ** 64n - 1n]);
    expect(decodeJsonTensor('x', 'uint64', [1], ['-1']).problems[0]).toContain('must be an integer between 0 and 18446744073709551615 (UINT64)');
    expect(decodeJsonTensor('x', 'int64', [1], ['9223372036854775808']).problems).toHaveLength(1);
    expect(decodeJsonTensor('x', 'int64', [1], [2 ** 60]).problems[0]).toContain('must be between');
  });

  it('encodes FP16 numbers to half-precision bits', () => {
    expect([...(decodeJsonTensor('h', 'float16', [2], [1, -2.5]).data as Uint16Array)]).toEqual([floatToHalf(1), floatToHalf(-2.5)]);
  });
});

describe('jsonData and stringifyJson', () => {
  it('writes BOOL as booleans and FP16 as numbers', () => {
    expect(jsonData({ type: 'bool', dims: [2], data: new Uint8Array([1, 0]) })).toEqual([true, false]);
    expect(jsonData({ type: 'float16', dims: [1], data: new Uint16Array([0x3c00]) })).toEqual([1]);
  });

  it('writes 64-bit integers as exact JSON numbers, beyond 2^53 too', () => {
    const data = new BigInt64Array([-(2n ** 63n), 2n ** 53n + 1n, 3n]);
    expect(stringifyJson({ data })).toBe('{"data":[-9223372036854775808,9007199254740993,3]}');
  });

  it('writes NaN and infinities as strings, which JSON numbers cannot be', () => {
    expect(stringifyJson([Number.NaN, Infinity, -Infinity, 0.5])).toBe('["NaN","Infinity","-Infinity",0.5]');
  });

  it('writes everything else as JSON.stringify does, leaving out undefined members', () => {
    const value = { a: 'é"\n', b: [true, null, 1e21], c: undefined, d: new Float32Array([0.1]), e: { f: [] } };
    expect(stringifyJson(value)).toBe('{"a":"é\\"\\n","b":[true,null,1e+21],"d":[0.10000000149011612],"e":{"f":[]}}');
    expect(JSON.parse(stringifyJson(value))).toEqual(JSON.parse(JSON.stringify({ ...value, d: [...value.d] })));
  });
});
