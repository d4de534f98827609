import { describe, expect, it } from 'vitest';
import type { Tensor, TensorMap } from '../inference/tensors';
import { parseManifest } from '../model-registry/manifest';
import { compareOutputs, comparisonPlanOf, rankedClasses } from './output-comparison';

const scores = (rows: number[][]): Tensor => ({ type: 'float32', dims: [rows.length, rows[0].length], data: Float32Array.from(rows.flat()) });
const labels = (values: number[]): Tensor => ({ type: 'int64', dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) });

describe('compareOutputs', () => {
  it('counts per row the agreement of the top-1 class and of the top-k set of a classifier, and its score differences', () => {
    const served: TensorMap = { probabilities: scores([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.1, 0.3, 0.6]]) };
    const shadow: TensorMap = { probabilities: scores([[0.6, 0.3, 0.1], [0.3, 0.2, 0.5], [0.1, 0.6, 0.3]]) };
    const comparison = compareOutputs(served, shadow, { scores: 'probabilities' });
    expect(comparison).toMatchObject({ comparable: true, rows: 3, top1: { agree: 1, total: 3 }, topk: { agree: 2, total: 3, k: 2 } });
    if (!comparison.comparable) throw new Error('not comparable');
    const absolute = comparison.differences.map((d) => d.absolute);
    [0.1, 0.3, 0.3].forEach((value, row) => expect(absolute[row]).toBeCloseTo(value, 6));
    // Relative to the row's largest magnitude: 0.3 / 0.6 in the third row.
    expect(comparison.differences[2].relative).toBeCloseTo(0.5, 6);
    expect(comparison.differences.every((d) => d.output === 'probabilities')).toBe(true);
  });

  it('takes k from the config, never more than the classes', () => {
    const rows = scores([[0.5, 0.3, 0.2]]);
    expect(compareOutputs({ s: rows }, { s: rows }, { scores: 's', topK: 1 })).toMatchObject({ topk: { k: 1 } });
    expect(compareOutputs({ s: rows }, { s: rows }, { scores: 's', topK: 9 })).toMatchObject({ topk: { k: 3 } });
    const two = scores([[0.6, 0.4]]);
    expect(compareOutputs({ s: two }, { s: two }, { scores: 's' })).toMatchObject({ topk: { k: 1 } });
  });

  it('compares label outputs (one integer or string per row) as top-1 when there are no scores, and other outputs by their differences', () => {
    const served: TensorMap = { label: labels([1, 2, 0]), value: { type: 'float64', dims: [3, 1], data: Float64Array.from([1, -2, 0]) } };
    const shadow: TensorMap = { label: labels([1, 0, 0]), value: { type: 'float64', dims: [3, 1], data: Float64Array.from([1.5, -2, 0]) } };
    const comparison = compareOutputs(served, shadow, {});
    expect(comparison).toMatchObject({ comparable: true, rows: 3, top1: { agree: 2, total: 3 } });
    if (!comparison.comparable) throw new Error('not comparable');
    expect(comparison.topk).toBeUndefined();
    expect(comparison.differences).toEqual([
      { output: 'value', row: 0, absolute: 0.5, relative: 0.5 / 1.5 },
      { output: 'value', row: 1, absolute: 0, relative: 0 },
      { output: 'value', row: 2, absolute: 0, relative: 0 },
    ]);
    const strings = (values: string[]): Tensor => ({ type: 'string', dims: [values.length], data: values });
    expect(compareOutputs({ l: strings(['a', 'b']) }, { l: strings(['a', 'c']) }, {})).toMatchObject({ top1: { agree: 1, total: 2 }, differences: [] });
  });

  it('treats NaN against NaN as the same answer and NaN against a number as the largest difference', () => {
    const served: TensorMap = { y: { type: 'float32', dims: [2, 1], data: Float32Array.from([NaN, 1]) } };
    const shadow: TensorMap = { y: { type: 'float32', dims: [2, 1], data: Float32Array.from([NaN, NaN]) } };
    expect(compareOutputs(served, shadow, {})).toMatchObject({
      differences: [
        { row: 0, absolute: 0, relative: 0 },
        { row: 1, absolute: Infinity, relative: Infinity },
      ],
    });
  });

  it('reads integers, 64-bit integers and float16 as numbers', () => {
    const served: TensorMap = { i: { type: 'int32', dims: [1, 2], data: Int32Array.from([3, 4]) }, h: { type: 'float16', dims: [1, 1], data: Uint16Array.from([0x3c00]) } };
    const shadow: TensorMap = { i: { type: 'int32', dims: [1, 2], data: Int32Array.from([3, 6]) }, h: { type: 'float16', dims: [1, 1], data: Uint16Array.from([0x4000]) } };
    expect(compareOutputs(served, shadow, {})).toMatchObject({
      differences: [
        { output: 'i', absolute: 2, relative: 2 / 6 },
        { output: 'h', absolute: 1, relative: 0.5 },
      ],
    });
  });

  it('refuses to compare outputs the shadow lacks or shapes differently', () => {
    const served: TensorMap = { probabilities: scores([[0.5, 0.5]]) };
    expect(compareOutputs(served, {}, {})).toEqual({ comparable: false, reason: 'the shadow answered no output "probabilities"' });
    expect(compareOutputs(served, { probabilities: scores([[0.2, 0.3, 0.5]]) }, {})).toEqual({
      comparable: false,
      reason: 'output "probabilities" is [1, 2] served and [1, 3] in the shadow',
    });
    expect(compareOutputs({}, {}, {})).toMatchObject({ comparable: false });
  });
});

describe('comparisonPlanOf', () => {
  const outputs: TensorMap = { label: labels([0]), probabilities: scores([[0.5, 0.3, 0.2]]) };

  it("finds a classifier's scores as /v1 does: the manifest's scores_output, else the float output with one column per label", () => {
    const named = parseManifest({ task: 'classification', labels: ['a', 'b', 'c'], scores_output: 'probabilities' }, 'm');
    expect(comparisonPlanOf(named, outputs, 2)).toEqual({ scores: 'probabilities', topK: 2 });
    const found = parseManifest({ task: 'classification', labels: ['a', 'b', 'c'] }, 'm');
    expect(comparisonPlanOf(found, outputs)).toEqual({ scores: 'probabilities', topK: undefined });
  });

  it('has no scores for a model that is not a classifier, or has no manifest', () => {
    expect(comparisonPlanOf(parseManifest({ task: 'regression' }, 'm'), outputs)).toEqual({ topK: undefined });
    expect(comparisonPlanOf(undefined, outputs)).toEqual({ topK: undefined });
  });
});

describe('rankedClasses', () => {
  it('ranks best first, ties to the lower class, as /v1 top_k does', () => {
    expect(rankedClasses(scores([[0.2, 0.4, 0.4, 0.0]]), 0, 4, 3)).toEqual([1, 2, 0]);
  });
});
