import { describe, expect, it } from 'vitest';
import type { TensorMap, TensorSpec } from '../inference/tensors';
import { parseManifest } from '../model-registry/manifest';
import type { ReadyVersion } from '../model-registry/model-version';
import { driftLayoutOf, DriftWindow } from './drift-window';

const MANIFEST = {
  task: 'classification',
  features: ['a', 'b', 'c'],
  labels: ['x', 'y'],
  scores_output: 'probabilities',
  drift: {
    window: 4,
    // Only a and c: a feature without a reference is not compared.
    features: { c: { edges: [0], counts: [5, 5] }, a: { edges: [1, 2], counts: [2, 3, 5] } },
    predictions: { counts: [6, 4] },
  },
};

function versionWith(manifest: unknown, inputs: TensorSpec[] = [{ name: 'input', type: 'float32', dims: [null, 3] }]): ReadyVersion {
  return {
    name: 'm',
    version: 1,
    manifest: parseManifest(manifest, 'm.json'),
    model: {
      inputs,
      outputs: [{ name: 'probabilities', type: 'float32', dims: [null, 2] }],
      run: async () => ({}),
      release: async () => undefined,
    },
    sha256: 'abc',
    enter: () => undefined,
    leave: () => undefined,
  };
}

/** One batch: rows of [a, b, c] and their class scores. */
function batch(rows: number[][], scores: number[][]): [number, TensorMap, TensorMap] {
  return [
    rows.length,
    { input: { type: 'float32', dims: [rows.length, 3], data: Float32Array.from(rows.flat()) } },
    { probabilities: { type: 'float32', dims: [scores.length, 2], data: Float32Array.from(scores.flat()) } },
  ];
}

describe('driftLayoutOf', () => {
  it("reads the features' input columns in manifest order, and the scores output", () => {
    const layout = driftLayoutOf(versionWith(MANIFEST))!;
    expect(layout.columns.map((column) => [column.name, column.kind, column.inputColumn, column.reference])).toEqual([
      ['a', 'feature', 0, [2, 3, 5]],
      ['c', 'feature', 2, [5, 5]],
      ['predictions', 'predictions', -1, [6, 4]],
    ]);
    expect(layout.input).toEqual({ name: 'input', width: 3 });
    expect(layout.scores).toEqual({ name: 'probabilities', classes: 2 });
    expect(layout.window).toBe(4);
  });

  it('is undefined without a drift reference, and has no feature columns for an input of strings', () => {
    expect(driftLayoutOf(versionWith({ ...MANIFEST, drift: undefined }))).toBeUndefined();
    const strings = driftLayoutOf(versionWith(MANIFEST, [{ name: 'input', type: 'string', dims: [null, 3] }]))!;
    expect(strings.columns.map((column) => column.name)).toEqual(['predictions']);
  });
});

describe('DriftWindow', () => {
  it('counts every instance of a batch in its bins: features by their edges, predictions by the argmax', () => {
    const window = new DriftWindow(driftLayoutOf(versionWith(MANIFEST))!);
    window.observe(...batch([[0.5, 9, -1], [1.5, 9, 1], [2, 9, 0]], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]));
    expect(window.counts()).toEqual({
      instances: 3,
      // a: 0.5 -> bin 0, 1.5 -> 1, 2 -> 1 (a value on an edge is in the lower bin); c: -1, 0 -> 0, 1 -> 1.
      counts: [
        [1, 2, 0],
        [2, 1],
        [2, 1],
      ],
    });
  });

  it('keeps the last `window` instances: older ones leave the counts, the totals keep them', () => {
    const window = new DriftWindow(driftLayoutOf(versionWith(MANIFEST))!);
    window.observe(...batch([[0, 0, 0], [0, 0, 0], [0, 0, 0]], [[1, 0], [1, 0], [1, 0]]));
    window.observe(...batch([[5, 0, 5], [5, 0, 5], [5, 0, 5]], [[0, 1], [0, 1], [0, 1]]));
    expect(window.instances).toBe(4);
    expect(window.counts().counts).toEqual([
      [1, 0, 3],
      [1, 3],
      [1, 3],
    ]);
    expect(Array.from(window.totals(0))).toEqual([3, 0, 3]);
    expect(Array.from(window.totals(2))).toEqual([3, 3]);
    // Round and round the ring: 10 more rows, the window holds only the last 4.
    for (let i = 0; i < 10; i++) window.observe(...batch([[1.5, 0, -5]], [[1, 0]]));
    expect(window.counts().counts).toEqual([
      [0, 4, 0],
      [4, 0],
      [4, 0],
    ]);
  });

  it('counts NaN in no bin, and a tensor of another shape (or missing) in none either', () => {
    const window = new DriftWindow(driftLayoutOf(versionWith(MANIFEST))!);
    window.observe(...batch([[Number.NaN, 0, 1]], [[Number.NaN, 1]]));
    window.observe(1, { input: { type: 'float32', dims: [1, 2], data: Float32Array.from([1, 1]) } }, {});
    expect(window.counts()).toEqual({ instances: 2, counts: [[0, 0, 0], [0, 1], [0, 0]] });
    // Leaving the window, an instance that was not counted takes nothing out.
    for (let i = 0; i < 4; i++) window.observe(...batch([[3, 0, 1]], [[0, 1]]));
    expect(window.counts().counts).toEqual([[0, 0, 4], [0, 4], [0, 4]]);
  });

  it('reads integer and 64-bit inputs as numbers', () => {
    const window = new DriftWindow(driftLayoutOf(versionWith(MANIFEST, [{ name: 'input', type: 'int64', dims: [null, 3] }]))!);
    window.observe(2, { input: { type: 'int64', dims: [2, 3], data: BigInt64Array.from([1n, 0n, -1n, 3n, 0n, 1n]) } }, {});
    expect(window.counts().counts.slice(0, 2)).toEqual([[1, 0, 1], [1, 1]]);
  });
});
