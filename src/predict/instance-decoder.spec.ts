import { describe, expect, it } from 'vitest';
import { refusal } from '../../test/support/refusal';
import { imagePreprocessing, manifestWith, readyVersion, tensorSpec } from '../../test/support/predict-versions';
import { type DataType, floatToHalf } from '../inference/tensors';
import { decodeInstances, decodePixelInstances } from './instance-decoder';

const IRIS_FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

/** An iris-like classifier input: float32 [batch, 4] with named features. */
const iris = readyVersion({
  name: 'iris',
  inputs: [tensorSpec('input', 'float32', [null, 4])],
  manifest: manifestWith({ features: IRIS_FEATURES }),
});

/** A single-input model of the given datatype and shape, without a manifest. */
function model(type: DataType, dims: (number | null)[]) {
  return readyVersion({ inputs: [tensorSpec('x', type, dims)] });
}

/** Two inputs: the instance is an object keyed by input name. */
const twoInputs = readyVersion({
  inputs: [tensorSpec('a', 'float32', [null, 2]), tensorSpec('b', 'int64', [null])],
});

/** The problems a client reads in `details` (and, joined by "; ", in `message`). */
function problems(run: () => unknown): readonly string[] {
  const error = refusal(run);
  expect(error.code).toBe('INVALID_INPUT');
  expect(error.status).toBe(422);
  expect(error.message).toBe(error.details.join('; '));
  return error.details;
}

describe('decodeInstances: the tensors a request becomes', () => {
  it('turns array instances into one row-major float32 batch [instances, features]', () => {
    const batches = decodeInstances([[5.5, 3.5, 1.25, 0.25], [6.75, 3, 5.5, 2]], iris);
    expect(batches).toHaveLength(1);
    expect(batches[0].rows).toBe(2);
    expect(Object.keys(batches[0].feeds)).toEqual(['input']);
    const input = batches[0].feeds.input;
    expect(input.type).toBe('float32');
    expect(input.dims).toEqual([2, 4]);
    expect(input.data).toBeInstanceOf(Float32Array);
    expect([...(input.data as Float32Array)]).toEqual([5.5, 3.5, 1.25, 0.25, 6.75, 3, 5.5, 2]);
  });

  it('puts named features in the manifest column order, whatever the order of the keys', () => {
    const [batch] = decodeInstances([{ petal_width: 0.25, petal_length: 1.5, sepal_width: 3.5, sepal_length: 5.25 }], iris);
    expect(batch.feeds.input.dims).toEqual([1, 4]);
    expect([...(batch.feeds.input.data as Float32Array)]).toEqual([5.25, 3.5, 1.5, 0.25]);
  });

  it('takes arrays and named-feature objects side by side in one request, in request order', () => {
    const [batch] = decodeInstances(
      [{ sepal_length: 1, sepal_width: 2, petal_length: 3, petal_width: 4 }, [5, 6, 7, 8], { petal_width: 12, petal_length: 11, sepal_width: 10, sepal_length: 9 }],
      iris,
    );
    expect(batch.rows).toBe(3);
    expect(batch.feeds.input.dims).toEqual([3, 4]);
    expect([...(batch.feeds.input.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('flattens nested instances row-major for a [batch, 2, 3] input', () => {
    const [batch] = decodeInstances(
      [
        [[1, 2, 3], [4, 5, 6]],
        [[7, 8, 9], [10, 11, 12]],
      ],
      model('float32', [null, 2, 3]),
    );
    expect(batch.feeds.x.dims).toEqual([2, 2, 3]);
    expect([...(batch.feeds.x.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('takes one value per instance for a [batch] input', () => {
    const [batch] = decodeInstances([1.5, -2, 0], model('float32', [null]));
    expect(batch.feeds.x.dims).toEqual([3]);
    expect([...(batch.feeds.x.data as Float32Array)]).toEqual([1.5, -2, 0]);
  });

  it('sizes dynamic dimensions after the instances', () => {
    const [batch] = decodeInstances([[1, 2, 3], [4, 5, 6]], model('float32', [null, null]));
    expect(batch.feeds.x.dims).toEqual([2, 3]);
    expect([...(batch.feeds.x.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rounds float32 values as a Float32Array does and keeps float64 values exact', () => {
    const [f32] = decodeInstances([[0.1, 1e-50]], model('float32', [null, 2]));
    expect([...(f32.feeds.x.data as Float32Array)]).toEqual([Math.fround(0.1), 0]);
    const [f64] = decodeInstances([[0.1, 1e300]], model('float64', [null, 2]));
    expect(f64.feeds.x.data).toBeInstanceOf(Float64Array);
    expect([...(f64.feeds.x.data as Float64Array)]).toEqual([0.1, 1e300]);
  });

  it('encodes float16 inputs as half-precision bits', () => {
    const [batch] = decodeInstances([[1, -2.5, 65504]], model('float16', [null, 3]));
    expect(batch.feeds.x.type).toBe('float16');
    expect([...(batch.feeds.x.data as Uint16Array)]).toEqual([floatToHalf(1), floatToHalf(-2.5), floatToHalf(65504)]);
    expect([...(batch.feeds.x.data as Uint16Array)]).toEqual([0x3c00, 0xc100, 0x7bff]);
  });

  it('writes int64 inputs as BigInt64Array, up to ±(2^53 - 1)', () => {
    const [batch] = decodeInstances([[1, -2], [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]], model('int64', [null, 2]));
    expect(batch.feeds.x.type).toBe('int64');
    expect(batch.feeds.x.dims).toEqual([2, 2]);
    expect([...(batch.feeds.x.data as BigInt64Array)]).toEqual([1n, -2n, 2n ** 53n - 1n, -(2n ** 53n - 1n)]);
  });

  it('writes int32, uint8 and uint64 inputs into their own typed arrays', () => {
    const [int32] = decodeInstances([[2147483647, -2147483648]], model('int32', [null, 2]));
    expect(int32.feeds.x.data).toBeInstanceOf(Int32Array);
    expect([...(int32.feeds.x.data as Int32Array)]).toEqual([2147483647, -2147483648]);
    const [uint8] = decodeInstances([[0, 255]], model('uint8', [null, 2]));
    expect(uint8.feeds.x.data).toBeInstanceOf(Uint8Array);
    expect([...(uint8.feeds.x.data as Uint8Array)]).toEqual([0, 255]);
    const [uint64] = decodeInstances([[0, Number.MAX_SAFE_INTEGER]], model('uint64', [null, 2]));
    expect(uint64.feeds.x.data).toBeInstanceOf(BigUint64Array);
    expect([...(uint64.feeds.x.data as BigUint64Array)]).toEqual([0n, 2n ** 53n - 1n]);
  });

  it('takes booleans, and 0 and 1, for bool inputs', () => {
    const [batch] = decodeInstances([[true, false, 0, 1]], model('bool', [null, 4]));
    expect(batch.feeds.x.type).toBe('bool');
    expect([...(batch.feeds.x.data as Uint8Array)]).toEqual([1, 0, 0, 1]);
  });

  it('takes strings for string inputs', () => {
    const [batch] = decodeInstances([['a', 'é'], ['', 'z']], model('string', [null, 2]));
    expect(batch.feeds.x.data).toEqual(['a', 'é', '', 'z']);
  });

  it('takes named features for an int64 input too', () => {
    const version = readyVersion({ inputs: [tensorSpec('x', 'int64', [null, 2])], manifest: manifestWith({ features: ['age', 'rooms'] }) });
    const [batch] = decodeInstances([{ rooms: 3, age: 40 }], version);
    expect([...(batch.feeds.x.data as BigInt64Array)]).toEqual([40n, 3n]);
  });

  it('feeds a model with several inputs from objects keyed by input name', () => {
    const batches = decodeInstances([{ a: [1, 2], b: 7 }, { b: -8, a: [3, 4] }], twoInputs);
    expect(batches).toHaveLength(1);
    expect(batches[0].rows).toBe(2);
    expect(batches[0].feeds.a).toEqual({ type: 'float32', dims: [2, 2], data: new Float32Array([1, 2, 3, 4]) });
    expect(batches[0].feeds.b).toEqual({ type: 'int64', dims: [2], data: new BigInt64Array([7n, -8n]) });
  });

  it('runs one batch per instance when the model fixes its batch dimension to 1', () => {
    const batches = decodeInstances([[1, 2, 3], [4, 5, 6]], model('float32', [1, 3]));
    expect(batches.map((batch) => batch.rows)).toEqual([1, 1]);
    expect(batches.map((batch) => batch.feeds.x.dims)).toEqual([[1, 3], [1, 3]]);
    expect(batches.map((batch) => [...(batch.feeds.x.data as Float32Array)])).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it('runs one batch per instance when one input has a fixed batch of 1 and another a dynamic one', () => {
    const mixed = readyVersion({ inputs: [tensorSpec('a', 'float32', [1, 2]), tensorSpec('b', 'int64', [null])] });
    const batches = decodeInstances([{ a: [1, 2], b: 3 }, { a: [4, 5], b: 6 }], mixed);
    expect(batches).toHaveLength(2);
    expect(batches[1].feeds.a).toEqual({ type: 'float32', dims: [1, 2], data: new Float32Array([4, 5]) });
    expect(batches[1].feeds.b).toEqual({ type: 'int64', dims: [1], data: new BigInt64Array([6n]) });
  });

  it('lets instances of a fixed-batch model differ in their dynamic dimensions, since each runs alone', () => {
    const batches = decodeInstances([[1, 2, 3], [4]], model('float32', [1, null]));
    expect(batches.map((batch) => batch.feeds.x.dims)).toEqual([[1, 3], [1, 1]]);
  });
});

describe('decodeInstances: what it refuses, as the client reads it', () => {
  it.each([
    ['the wrong feature count', [[1, 2, 3]], 'instances[0] must have 4 elements, got 3 (expected shape [4])'],
    ['too many features', [[1, 2, 3, 4, 5]], 'instances[0] must have 4 elements, got 5 (expected shape [4])'],
    ['a scalar instance', [5], 'instances[0] must be an array (expected shape [4], float32)'],
    ['a null instance', [null], 'instances[0] must be an array (expected shape [4], float32)'],
    ['an array where a value belongs', [[[1], 2, 3, 4]], 'instances[0][0] must be a single value, not an array'],
    ['an object where a value belongs', [[1, { v: 2 }, 3, 4]], 'instances[0][1] must be a single value, not an object'],
    ['a string value', [[1, '2', 3, 4]], 'instances[0][1] must be a finite number'],
    ['a null value', [[1, null, 3, 4]], 'instances[0][1] must be a finite number'],
    ['a boolean value', [[1, 2, true, 4]], 'instances[0][2] must be a finite number'],
    ['NaN', [[1, 2, 3, Number.NaN]], 'instances[0][3] must be a finite number'],
    ['Infinity (what JSON 1e999 parses to)', [[Infinity, 2, 3, 4]], 'instances[0][0] must be a finite number'],
    ['-Infinity', [[1, -Infinity, 3, 4]], 'instances[0][1] must be a finite number'],
    ['a number beyond float32', [[1e39, 2, 3, 4]], 'instances[0][0] must be within ±3.4028234663852886e+38 (float32)'],
    ['a negative number beyond float32', [[1, -1e39, 3, 4]], 'instances[0][1] must be within ±3.4028234663852886e+38 (float32)'],
  ])('refuses %s for a float32 [batch, 4] input', (_, instances, message) => {
    expect(problems(() => decodeInstances(instances, iris))).toEqual([message]);
  });

  it('accepts the largest float32 itself', () => {
    const [batch] = decodeInstances([[3.4028234663852886e38, -3.4028234663852886e38, 0, 0]], iris);
    expect((batch.feeds.input.data as Float32Array)[0]).toBe(3.4028234663852886e38);
  });

  it('names the unknown, missing and invalid features of an object instance', () => {
    expect(problems(() => decodeInstances([{ sepal_length: 5.1, sepal_width: 'wide', petal_length: 1.4 }], iris))).toEqual([
      'instances[0].sepal_width must be a finite number',
      'instances[0].petal_width is required',
    ]);
    expect(problems(() => decodeInstances([{ sepal_length: 1, sepal_width: 1, petal_length: 1, petal_width: 1, colour: 3 }], iris))).toEqual([
      'instances[0].colour is not a feature of this model (features: sepal_length, sepal_width, petal_length, petal_width)',
    ]);
  });

  it('reports unknown features first, then the features in manifest order', () => {
    expect(problems(() => decodeInstances([{ petal_width: [1], extra: 1, sepal_width: Infinity }], iris))).toEqual([
      'instances[0].extra is not a feature of this model (features: sepal_length, sepal_width, petal_length, petal_width)',
      'instances[0].sepal_length is required',
      'instances[0].sepal_width must be a finite number',
      'instances[0].petal_length is required',
      'instances[0].petal_width must be a finite number',
    ]);
  });

  it('does not take inherited properties for features', () => {
    const instance = Object.assign(Object.create({ petal_width: 1 }) as object, { sepal_length: 1, sepal_width: 1, petal_length: 1 });
    expect(problems(() => decodeInstances([instance], iris))).toEqual(['instances[0].petal_width is required']);
  });

  it('refuses an object instance when the manifest names no features', () => {
    expect(problems(() => decodeInstances([{ a: 1, b: 2 }], model('float32', [null, 2])))).toEqual([
      'instances[0] must be an array (expected shape [2], float32)',
    ]);
    expect(problems(() => decodeInstances([{ a: 1 }], model('float32', [null])))).toEqual([
      'instances[0] must be a single value, not an object',
    ]);
  });

  it('collects the problems of every instance, in request order', () => {
    expect(problems(() => decodeInstances([[1, 2, 3, 4], [1, null, 1, 1], { sepal_length: 1, sepal_width: 1, petal_length: 1 }], iris))).toEqual([
      'instances[1][1] must be a finite number',
      'instances[2].petal_width is required',
    ]);
  });

  it('names the element of a nested instance by its full path', () => {
    expect(problems(() => decodeInstances([[[1, 2], [3, 4]], [[1, 2], [3, Infinity]]], model('float32', [null, 2, 2])))).toEqual([
      'instances[1][1][1] must be a finite number',
    ]);
    expect(problems(() => decodeInstances([[[1, 2, 3], [4, 5]]], model('float32', [null, 2, 3])))).toEqual([
      'instances[0][1] must have 3 elements, got 2 (expected shape [3])',
    ]);
    expect(problems(() => decodeInstances([[1, 2]], model('float32', [null, 2, 3])))).toEqual([
      'instances[0][0] must be an array (expected shape [3], float32)',
      'instances[0][1] must be an array (expected shape [3], float32)',
    ]);
  });

  it('names the full path of an element in a dynamic dimension', () => {
    expect(problems(() => decodeInstances([[[1, 2, 3], [4, 5, 'x']]], model('float32', [null, null, null])))).toEqual([
      'instances[0][1][2] must be a finite number',
    ]);
  });

  it('refuses a ragged instance in a dynamic dimension', () => {
    expect(problems(() => decodeInstances([[[1, 2], [3]]], model('float32', [null, null, null])))).toEqual([
      'instances[0][1] must have 2 elements, got 1 (expected shape [*])',
    ]);
  });

  it('refuses instances of one batch whose dynamic dimensions differ', () => {
    expect(problems(() => decodeInstances([[1, 2, 3], [4, 5]], model('float32', [null, null])))).toEqual([
      'instances of one request must share the shape of input x: got [3] and [2]',
    ]);
  });

  it.each([
    ['int32', 2147483648, 'must be between -2147483648 and 2147483647 (int32)'],
    ['int32', -2147483649, 'must be between -2147483648 and 2147483647 (int32)'],
    ['int32', 1.5, 'must be an integer (int32)'],
    ['int32', '3', 'must be an integer (int32)'],
    ['int32', Infinity, 'must be an integer (int32)'],
    ['int8', 128, 'must be between -128 and 127 (int8)'],
    ['int16', -32769, 'must be between -32768 and 32767 (int16)'],
    ['uint8', -1, 'must be between 0 and 255 (uint8)'],
    ['uint8', 256, 'must be between 0 and 255 (uint8)'],
    ['uint16', 65536, 'must be between 0 and 65535 (uint16)'],
    ['uint32', 4294967296, 'must be between 0 and 4294967295 (uint32)'],
    ['int64', 2 ** 53, 'must be between -9007199254740991 and 9007199254740991 (int64)'],
    ['int64', -(2 ** 53), 'must be between -9007199254740991 and 9007199254740991 (int64)'],
    ['int64', '9007199254740993', 'must be an integer (int64)'],
    ['int64', Number.NaN, 'must be an integer (int64)'],
    ['uint64', -1, 'must be between 0 and 9007199254740991 (uint64)'],
    ['bool', 2, 'must be a boolean'],
    ['bool', 'true', 'must be a boolean'],
    ['bool', null, 'must be a boolean'],
    ['string', 5, 'must be a string'],
    ['float64', Number.NaN, 'must be a finite number'],
    ['float16', 65520, 'must be within ±65504 (float16)'],
    ['float16', -1e5, 'must be within ±65504 (float16)'],
  ] as const)('refuses for a %s input the value %s', (type, value, rule) => {
    const valid = type === 'string' ? 'ok' : type === 'bool' ? true : 0;
    expect(problems(() => decodeInstances([[valid, value]], model(type, [null, 2])))).toEqual([`instances[0][1] ${rule}`]);
  });

  it('checks named features against the input datatype', () => {
    const version = readyVersion({ inputs: [tensorSpec('x', 'int32', [null, 2])], manifest: manifestWith({ features: ['age', 'rooms'] }) });
    expect(problems(() => decodeInstances([{ age: 40.5, rooms: 2 ** 31 }], version))).toEqual([
      'instances[0].age must be an integer (int32)',
      'instances[0].rooms must be between -2147483648 and 2147483647 (int32)',
    ]);
  });

  it('stops at 20 problems however many there are', () => {
    const manyInstances = problems(() => decodeInstances(Array.from({ length: 30 }, () => [1, 2, 3]), iris));
    expect(manyInstances).toHaveLength(20);
    expect(manyInstances[19]).toBe('instances[19] must have 4 elements, got 3 (expected shape [4])');
    const manyElements = problems(() => decodeInstances([new Array(100).fill('a')], model('float32', [null, 100])));
    expect(manyElements).toHaveLength(20);
    expect(manyElements[0]).toBe('instances[0][0] must be a finite number');
    expect(manyElements[19]).toBe('instances[0][19] must be a finite number');
  });

  describe('for a model with several inputs', () => {
    it('refuses an instance that is not an object keyed by input name', () => {
      expect(problems(() => decodeInstances([[1, 2]], twoInputs))).toEqual(['instances[0] must be an object keyed by input name (a, b)']);
      expect(problems(() => decodeInstances([null], twoInputs))).toEqual(['instances[0] must be an object keyed by input name (a, b)']);
    });

    it('names unknown and missing inputs, and problems inside an input by their path', () => {
      expect(problems(() => decodeInstances([{ a: [1, Infinity], c: 1 }], twoInputs))).toEqual([
        'instances[0].c is not an input of this model',
        'instances[0].a[1] must be a finite number',
        'instances[0].b is required',
      ]);
      expect(problems(() => decodeInstances([{ a: [1, 2, 3], b: [1] }], twoInputs))).toEqual([
        'instances[0].a must have 2 elements, got 3 (expected shape [2])',
        'instances[0].b must be a single value, not an array',
      ]);
    });
  });

  it.each([
    ['no batch dimension', [4]],
    ['a fixed batch dimension other than 1', [2, 4]],
    ['a scalar input', []],
  ])('refuses to feed a model whose input has %s', (_, dims) => {
    expect(problems(() => decodeInstances([[1, 2, 3, 4]], model('float32', dims)))).toEqual([
      'model "m" has an input without a batch dimension (first dimension dynamic or 1); /v1 predict cannot feed it',
    ]);
  });
});

describe('decodePixelInstances', () => {
  const gray = imagePreprocessing({ color: 'grayscale', width: 3, height: 2 });
  const rgb = imagePreprocessing({ color: 'rgb', width: 2, height: 1, layout: 'NHWC' });

  it('reads a grayscale instance as [height][width] pixels, row by row', () => {
    expect(decodePixelInstances([[[0, 1, 2], [253, 254, 255]]], gray)).toEqual([{ data: [0, 1, 2, 253, 254, 255], channels: 1 }]);
  });

  it('reads an rgb instance as [height][width][3] pixels, interleaved', () => {
    expect(decodePixelInstances([[[[1, 2, 3], [4, 5, 6]]], [[[7, 8, 9], [10, 11, 12]]]], rgb)).toEqual([
      { data: [1, 2, 3, 4, 5, 6], channels: 3 },
      { data: [7, 8, 9, 10, 11, 12], channels: 3 },
    ]);
  });

  it('refuses pixels outside 0-255 with the first such pixel', () => {
    expect(problems(() => decodePixelInstances([[[0, 1, 2], [3, 256, -1]]], gray))).toEqual([
      'instances[0][1][1] must be a pixel value between 0 and 255',
    ]);
    expect(problems(() => decodePixelInstances([[[[1, 2, 3], [4, -0.5, 6]]]], rgb))).toEqual([
      'instances[0][0][1][1] must be a pixel value between 0 and 255',
    ]);
  });

  it('refuses a picture of the wrong size or depth and values that are not numbers', () => {
    expect(problems(() => decodePixelInstances([[[0, 1, 2]]], gray))).toEqual(['instances[0] must have 2 elements, got 1 (expected shape [2, 3])']);
    expect(problems(() => decodePixelInstances([[[0, 1, 2], [3, 4]]], gray))).toEqual(['instances[0][1] must have 3 elements, got 2 (expected shape [3])']);
    expect(problems(() => decodePixelInstances([[[[1, 2, 3], [4, 5]]]], rgb))).toEqual(['instances[0][0][1] must have 3 elements, got 2 (expected shape [3])']);
    expect(problems(() => decodePixelInstances([[[0, 'x', 2], [3, 4, null]]], gray))).toEqual([
      'instances[0][0][1] must be a finite number',
      'instances[0][1][2] must be a finite number',
    ]);
  });
});
