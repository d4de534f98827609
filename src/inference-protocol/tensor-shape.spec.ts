import { describe, expect, it } from 'vitest';
import { int64ShapeProblem, jsonShapeProblem } from './tensor-shape';

const RULE = 'a dimension must be an integer from 0 to 9007199254740991';

describe('jsonShapeProblem', () => {
  it.each([[[]], [[0]], [[1, 4]], [[9007199254740991]]])('accepts %j', (shape) => {
    expect(jsonShapeProblem(shape)).toBeUndefined();
  });

  it.each<[unknown[], string]>([
    // 2^62 as JSON.parse reads it: already rounded, so not printed.
    [[1, 2 ** 62], `dimension 1 is larger than 9007199254740991, the largest integer a JSON number carries exactly here; ${RULE}`],
    [[9007199254740992], 'dimension 0 is larger than 9007199254740991'],
    [[Infinity], 'dimension 0 is larger than 9007199254740991'],
    [[-(2 ** 62)], `dimension 0 is a negative number below -9007199254740991; ${RULE}`],
    [[-3, 4], `dimension 0 is -3; ${RULE}`],
    [[1, 1.5], `dimension 1 is 1.5; ${RULE}`],
    [['4'], `dimension 0 is "4", not a number; ${RULE}`],
    [[null], `dimension 0 is null, not a number; ${RULE}`],
  ])('refuses %j, never printing a rounded value', (shape, expected) => {
    expect(jsonShapeProblem(shape)).toContain(expected);
  });
});

describe('int64ShapeProblem', () => {
  it('accepts int64 text from 0 to 2^53 - 1', () => {
    expect(int64ShapeProblem(['0', '4', '9007199254740991'])).toBeUndefined();
  });

  it.each([
    ['4611686018427387904', 'dimension 1 is 4611686018427387904'],
    ['9007199254740992', 'dimension 1 is 9007199254740992'],
    ['9223372036854775807', 'dimension 1 is 9223372036854775807'],
    ['-3', 'dimension 1 is -3'],
    ['-9223372036854775808', 'dimension 1 is -9223372036854775808'],
  ])('refuses %s as sent, to the digit', (dimension, expected) => {
    expect(int64ShapeProblem(['1', dimension])).toBe(`${expected}; ${RULE}`);
  });

  it('reads a Long (proto-loader without longs: String) by its decimal text', () => {
    const long = { toString: () => '4611686018427387904' };
    expect(int64ShapeProblem([long])).toBe(`dimension 0 is 4611686018427387904; ${RULE}`);
  });
});
