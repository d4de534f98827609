import { describe, expect, it } from 'vitest';
import { manifestWith, readyVersion, tensor, tensorSpec } from '../../test/support/predict-versions';
import type { VersionManifest } from '../model-registry/manifest';
import { classProbabilities, mapPredictions, softmax } from './prediction-mapper';

const LABELS = ['setosa', 'versicolor', 'virginica'];

function version(manifest: VersionManifest | undefined) {
  return readyVersion({ inputs: [tensorSpec('input', 'float32', [null, 4])], manifest });
}

const classifier = version(manifestWith({ task: 'classification', labels: LABELS }));

/** Float32 probabilities, every value exactly representable, one row per instance. */
function probabilities(rows: number[][]) {
  return { probabilities: tensor('float32', [rows.length, rows[0].length], Float32Array.from(rows.flat())) };
}

describe('mapPredictions for a classifier', () => {
  it('answers class_id, label, confidence and every probability by label, one prediction per row in order', () => {
    const outputs = probabilities([
      [0.25, 0.5, 0.25],
      [0.75, 0.125, 0.125],
      [0, 0.0625, 0.9375],
    ]);
    expect(mapPredictions(outputs, classifier)).toEqual([
      { class_id: 1, label: 'versicolor', confidence: 0.5, probabilities: { setosa: 0.25, versicolor: 0.5, virginica: 0.25 } },
      { class_id: 0, label: 'setosa', confidence: 0.75, probabilities: { setosa: 0.75, versicolor: 0.125, virginica: 0.125 } },
      { class_id: 2, label: 'virginica', confidence: 0.9375, probabilities: { setosa: 0, versicolor: 0.0625, virginica: 0.9375 } },
    ]);
  });

  it('keeps the probabilities keyed in label order', () => {
    const [prediction] = mapPredictions(probabilities([[0.125, 0.25, 0.625]]), classifier);
    expect(Object.keys((prediction as { probabilities: object }).probabilities)).toEqual(LABELS);
  });

  it('answers the float32 value as the client will read it (the double nearest the float)', () => {
    const [prediction] = mapPredictions(probabilities([[0.1, 0.2, 0.7]]), classifier);
    expect(prediction).toMatchObject({ class_id: 2, confidence: Math.fround(0.7) });
    expect((prediction as { probabilities: Record<string, number> }).probabilities.setosa).toBe(0.10000000149011612);
  });

  it('breaks an argmax tie with the lower class id', () => {
    const predictions = mapPredictions(
      probabilities([
        [0.375, 0.375, 0.25],
        [0.25, 0.375, 0.375],
        [0.25, 0.5, 0.25],
      ]),
      classifier,
    );
    expect(predictions.map((p) => ('class_id' in p ? [p.class_id, p.label] : p))).toEqual([
      [0, 'setosa'],
      [1, 'versicolor'],
      [1, 'versicolor'],
    ]);
  });

  it('applies a softmax to logits', () => {
    const logits = version(manifestWith({ task: 'classification', labels: LABELS, scores: 'logits' }));
    const [first, second] = mapPredictions({ scores: tensor('float32', [2, 3], Float32Array.from([1, 2, 3, 0, 0, 0])) }, logits) as {
      class_id: number;
      label: string;
      confidence: number;
      probabilities: Record<string, number>;
    }[];
    const sum = Math.exp(1) + Math.exp(2) + Math.exp(3);
    expect(first.class_id).toBe(2);
    expect(first.label).toBe('virginica');
    expect(first.confidence).toBeCloseTo(Math.exp(3) / sum, 12);
    expect(first.probabilities.setosa).toBeCloseTo(Math.exp(1) / sum, 12);
    expect(first.probabilities.versicolor).toBeCloseTo(Math.exp(2) / sum, 12);
    expect(second.class_id).toBe(0);
    expect(Object.values(second.probabilities)).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });

  it('does not apply a softmax to probabilities', () => {
    const [prediction] = mapPredictions(probabilities([[0.5, 0.25, 0.25]]), classifier);
    expect(prediction).toMatchObject({ confidence: 0.5 });
  });

  it('reads the scores from the output the manifest names', () => {
    const named = version(manifestWith({ task: 'classification', labels: ['no', 'yes'], scores_output: 'second' }));
    const outputs = {
      first: tensor('float32', [1, 2], Float32Array.from([0.75, 0.25])),
      second: tensor('float32', [1, 2], Float32Array.from([0.125, 0.875])),
    };
    expect(mapPredictions(outputs, named)).toEqual([
      { class_id: 1, label: 'yes', confidence: 0.875, probabilities: { no: 0.125, yes: 0.875 } },
    ]);
  });

  it('refuses a named scores output whose run-time width is not the number of labels, instead of misaligning rows', () => {
    const named = version(manifestWith({ task: 'classification', labels: ['a', 'b'], scores_output: 's' }));
    const outputs = { s: tensor('float32', [2, 3], Float32Array.from([0.1, 0.2, 0.7, 0.9, 0.05, 0.05])) };
    expect(() => mapPredictions(outputs, named)).toThrow('output s has shape [2, 3], not [batch, 2] for the manifest\'s 2 labels');
  });

  it('otherwise reads the first float output shaped [batch, labels], past label and other outputs', () => {
    const outputs = {
      label: tensor('int64', [2], BigInt64Array.from([0n, 0n])),
      embedding: tensor('float32', [2, 2], Float32Array.from([0.9, 0.9, 0.9, 0.9])),
      wrong_type: tensor('int32', [2, 3], Int32Array.from([9, 9, 9, 9, 9, 9])),
      probabilities: tensor('float64', [2, 3], Float64Array.from([0.1, 0.2, 0.7, 0.6, 0.3, 0.1])),
      later: tensor('float32', [2, 3], Float32Array.from([1, 0, 0, 1, 0, 0])),
    };
    expect(mapPredictions(outputs, classifier)).toEqual([
      { class_id: 2, label: 'virginica', confidence: 0.7, probabilities: { setosa: 0.1, versicolor: 0.2, virginica: 0.7 } },
      { class_id: 0, label: 'setosa', confidence: 0.6, probabilities: { setosa: 0.6, versicolor: 0.3, virginica: 0.1 } },
    ]);
  });

  it('fails plainly when no output can hold the class scores', () => {
    expect(() => mapPredictions({ y: tensor('float32', [1, 2], Float32Array.from([0.5, 0.5])) }, classifier)).toThrow(
      'no output of shape [batch, 3] holds the class scores',
    );
  });

  it('answers the k best classes, best first, when asked for top k', () => {
    const outputs = probabilities([
      [0.25, 0.125, 0.625],
      [0.5, 0.375, 0.125],
    ]);
    expect(mapPredictions(outputs, classifier, 2)).toEqual([
      {
        top_k: [
          { label: 'virginica', class_id: 2, probability: 0.625 },
          { label: 'setosa', class_id: 0, probability: 0.25 },
        ],
      },
      {
        top_k: [
          { label: 'setosa', class_id: 0, probability: 0.5 },
          { label: 'versicolor', class_id: 1, probability: 0.375 },
        ],
      },
    ]);
  });

  it('answers every class when k exceeds the number of labels, and keeps ties in class id order', () => {
    expect(mapPredictions(probabilities([[0.25, 0.5, 0.25]]), classifier, 100)).toEqual([
      {
        top_k: [
          { label: 'versicolor', class_id: 1, probability: 0.5 },
          { label: 'setosa', class_id: 0, probability: 0.25 },
          { label: 'virginica', class_id: 2, probability: 0.25 },
        ],
      },
    ]);
  });

  it('ranks the softmax of logits for top k', () => {
    const digits = version(manifestWith({ task: 'classification', labels: ['0', '1', '2', '3'], scores: 'logits' }));
    const [prediction] = mapPredictions({ logits: tensor('float32', [1, 4], Float32Array.from([-1, 4, 2, 4.5])) }, digits, 3);
    const ranked = (prediction as { top_k: { label: string; probability: number }[] }).top_k;
    expect(ranked.map((entry) => entry.label)).toEqual(['3', '1', '2']);
    const sum = [-1, 4, 2, 4.5].reduce((total, x) => total + Math.exp(x), 0);
    expect(ranked[0].probability).toBeCloseTo(Math.exp(4.5) / sum, 12);
  });
});

describe('mapPredictions for other models: every output, cut row by row', () => {
  const regression = version(manifestWith({ task: 'regression' }));

  it('answers each instance its own row of every output, in request order', () => {
    const outputs = {
      variable: tensor('float32', [3, 1], Float32Array.from([1.5, -2.25, 0])),
      label: tensor('int64', [3], BigInt64Array.from([7n, -8n, 0n])),
    };
    expect(mapPredictions(outputs, regression)).toEqual([
      { outputs: { variable: [1.5], label: 7 } },
      { outputs: { variable: [-2.25], label: -8 } },
      { outputs: { variable: [0], label: 0 } },
    ]);
  });

  it('nests the rest of a row as its shape says, row-major', () => {
    const outputs = { y: tensor('int32', [2, 2, 3], Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])) };
    expect(mapPredictions(outputs, version(undefined))).toEqual([
      { outputs: { y: [[1, 2, 3], [4, 5, 6]] } },
      { outputs: { y: [[7, 8, 9], [10, 11, 12]] } },
    ]);
  });

  it('writes 64-bit integers beyond ±(2^53 - 1) as decimal strings and the rest as numbers', () => {
    const outputs = {
      id: tensor('int64', [5], BigInt64Array.from([2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 63n), -(2n ** 53n - 1n)])),
      count: tensor('uint64', [5], BigUint64Array.from([2n ** 64n - 1n, 0n, 1n, 2n, 2n ** 53n])),
    };
    expect(mapPredictions(outputs, regression)).toEqual([
      { outputs: { id: 9007199254740991, count: '18446744073709551615' } },
      { outputs: { id: '9007199254740992', count: 0 } },
      { outputs: { id: '9007199254740993', count: 1 } },
      { outputs: { id: '-9223372036854775808', count: 2 } },
      { outputs: { id: -9007199254740991, count: '9007199254740992' } },
    ]);
  });

  it('writes bool outputs as booleans, strings as strings and float16 as numbers', () => {
    const outputs = {
      flag: tensor('bool', [2], Uint8Array.from([1, 0])),
      name: tensor('string', [2], ['a', 'b']),
      half: tensor('float16', [2], Uint16Array.from([0x3c00, 0xc100])),
    };
    expect(mapPredictions(outputs, regression)).toEqual([
      { outputs: { flag: true, name: 'a', half: 1 } },
      { outputs: { flag: false, name: 'b', half: -2.5 } },
    ]);
  });

  it('answers raw outputs for a model with labels whose task is not classification', () => {
    const labelled = version(manifestWith({ task: 'generic', labels: ['a', 'b'] }));
    expect(mapPredictions({ scores: tensor('float32', [1, 2], Float32Array.from([0.25, 0.75])) }, labelled)).toEqual([
      { outputs: { scores: [0.25, 0.75] } },
    ]);
  });

  it('ignores top k for a model that is not a classifier', () => {
    expect(mapPredictions({ y: tensor('float32', [1, 2], Float32Array.from([0.25, 0.75])) }, regression, 1)).toEqual([
      { outputs: { y: [0.25, 0.75] } },
    ]);
  });

  it('answers nothing for no outputs', () => {
    expect(mapPredictions({}, regression)).toEqual([]);
  });
});

describe('classProbabilities', () => {
  it('is undefined for a model that is not a classifier', () => {
    const outputs = probabilities([[0.5, 0.25, 0.25]]);
    expect(classProbabilities(outputs, undefined)).toBeUndefined();
    expect(classProbabilities(outputs, manifestWith({ task: 'regression', labels: LABELS }))).toBeUndefined();
  });

  it('gives one row of probabilities per instance', () => {
    const outputs = probabilities([
      [0.5, 0.25, 0.25],
      [0, 0, 1],
    ]);
    expect(classProbabilities(outputs, manifestWith({ task: 'classification', labels: LABELS }))).toEqual([
      [0.5, 0.25, 0.25],
      [0, 0, 1],
    ]);
  });
});

describe('softmax', () => {
  it('turns logits into probabilities that sum to 1', () => {
    const result = softmax([0, Math.log(3)]);
    expect(result[0]).toBeCloseTo(0.25, 15);
    expect(result[1]).toBeCloseTo(0.75, 15);
  });

  it('does not overflow on large logits', () => {
    expect(softmax([1000, 0, -1000])).toEqual([1, Math.exp(-1000), 0]);
    expect(softmax([1000, 1000])).toEqual([0.5, 0.5]);
  });
});
