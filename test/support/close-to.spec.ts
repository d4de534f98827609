import { describe, expect, it } from 'vitest';
import { assertModelOutput, FLOAT32_TOLERANCE, modelOutputMismatch } from './close-to';

/** A /v1 image answer (test/fixtures/digits/seven.png, top_k=3) as one host computes it. */
const topK = () => ({
  model: 'digits',
  version: 1,
  predictions: [
    {
      top_k: [
        { label: '7', class_id: 7, probability: 0.9956964254379272 },
        { label: '9', class_id: 9, probability: 0.0027589525561779737 },
        { label: '2', class_id: 2, probability: 0.0009336999501101673 },
      ],
    },
  ],
});

/** A /v2 answer with a float output and an integer output. */
const v2 = () => ({
  model_name: 'iris',
  outputs: [
    { name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: [0.00002723768920986913, 0.004255929961800575, 0.9957168698310852] },
    { name: 'count', datatype: 'INT64', shape: [], data: [3] },
  ],
});

function changed<T>(value: T, change: (copy: T) => void): T {
  const copy = structuredClone(value);
  change(copy);
  return copy;
}

describe('toMatchModelOutput / modelOutputMismatch', () => {
  it('uses a float32-suited tolerance: rel 1e-5, abs 1e-6', () => {
    expect(FLOAT32_TOLERANCE).toEqual({ rel: 1e-5, abs: 1e-6 });
  });

  describe('accepts what differs only in float noise', () => {
    it('a last printed digit that differs (0.995696 vs 0.995697)', () => {
      expect(0.995697).toMatchModelOutput(0.995696);
      expect({ probability: 0.995697 }).toMatchModelOutput({ probability: 0.995696 });
    });

    it('the same answer as another host computes it (2 float32 ulps on the best class)', () => {
      const otherCpu = changed(topK(), (copy) => {
        copy.predictions[0].top_k[0].probability = 0.9956965446472168;
        copy.predictions[0].top_k[1].probability = 0.002758951624855399;
        copy.predictions[0].top_k[2].probability = 0.0009337000665254891;
      });
      expect(otherCpu).toMatchModelOutput(topK());
    });

    it('float32 rounding (Math.fround) of the expected doubles', () => {
      const expected = [0.1, 0.9075260162353516, 1 / 3, 5.522737467344996e-8, 123.456];
      expect(expected.map(Math.fround)).toMatchModelOutput(expected);
      expect(Float32Array.from(expected)).toMatchModelOutput(expected);
      // One float32 ulp up, on values near 1 and near 0.
      const nextUp = (x: number) => {
        const bits = new Uint32Array(Float32Array.of(x).buffer);
        bits[0] += 1;
        return new Float32Array(bits.buffer)[0];
      };
      expect(expected.map(nextUp)).toMatchModelOutput(expected.map(Math.fround));
    });

    it('tiny probabilities within the absolute floor', () => {
      expect({ probabilities: { virginica: 5.522737467344996e-8 } }).toMatchModelOutput({ probabilities: { virginica: 6.1e-8 } });
    });

    it('integer-valued floats of an FP32 tensor (1e30 one ulp apart), and a probability of exactly 1 vs 0.9999999', () => {
      const big = Math.fround(1e30);
      const bigger = new Float32Array(new Uint32Array([new Uint32Array(Float32Array.of(big).buffer)[0] + 1]).buffer)[0];
      expect(Number.isInteger(big) && Number.isInteger(bigger)).toBe(true);
      expect({ datatype: 'FP32', shape: [1], data: [bigger] }).toMatchModelOutput({ datatype: 'FP32', shape: [1], data: [big] });
      expect({ probability: 0.9999999 }).toMatchModelOutput({ probability: 1 });
    });

    it('a whole /v2 answer with float noise in its FP32 output', () => {
      const noisy = changed(v2(), (copy) => {
        copy.outputs[0].data = copy.outputs[0].data.map((x) => x * (1 + 3e-7));
      });
      expect(noisy).toMatchModelOutput(v2());
    });

    it('NaN equals NaN, and infinities equal themselves', () => {
      expect([Number.NaN, Infinity, -Infinity]).toMatchModelOutput([Number.NaN, Infinity, -Infinity]);
    });

    it('extra keys with { subset: true }, as "the answer contains at least what is shown"', () => {
      const answer = changed(topK(), (copy) => Object.assign(copy, { request_id: 'abc' }));
      expect(answer).toMatchModelOutput(topK(), { subset: true });
      expect(modelOutputMismatch(answer, topK())).toBe('$.request_id: not expected, got "abc"');
    });
  });

  describe('rejects, naming the path of the first mismatch', () => {
    it('a wrong class', () => {
      const wrong = changed(topK(), (copy) => {
        copy.predictions[0].top_k[0].class_id = 1;
      });
      expect(modelOutputMismatch(wrong, topK())).toBe('$.predictions[0].top_k[0].class_id: expected 7, got 1 (compared exactly)');
      expect(wrong).not.toMatchModelOutput(topK());
      // A class id is never a float, not even within tolerance.
      expect(modelOutputMismatch({ class_id: 7.000001 }, { class_id: 7 })).toBe('$.class_id: expected 7, got 7.000001 (compared exactly)');
    });

    it('a wrong label', () => {
      const wrong = changed(topK(), (copy) => {
        copy.predictions[0].top_k[1].label = '4';
      });
      expect(modelOutputMismatch(wrong, topK())).toBe('$.predictions[0].top_k[1].label: expected "9", got "4"');
      expect(() => expect(wrong).toMatchModelOutput(topK())).toThrow('model output differs at $.predictions[0].top_k[1].label: expected "9", got "4"');
    });

    it('a probability off by 1e-3', () => {
      const wrong = changed(topK(), (copy) => {
        copy.predictions[0].top_k[0].probability -= 1e-3;
      });
      expect(modelOutputMismatch(wrong, topK())).toMatch(
        /^\$\.predictions\[0\]\.top_k\[0\]\.probability: expected 0\.9956964254379272 ± 9\.96e-6 \(rel 1e-5, abs 1e-6\), got 0\.99469\d+ \(off by 1\.00e-3\)$/,
      );
      expect(wrong).not.toMatchModelOutput(topK());
      // Near 0 as well: 0.0009337 vs 0.0019337.
      expect({ probability: 0.0019337 }).not.toMatchModelOutput({ probability: 0.0009337 });
      // And a difference in the 5th significant digit.
      expect({ confidence: 0.99571 }).not.toMatchModelOutput({ confidence: 0.99572 });
    });

    it('a shape change', () => {
      const reshaped = changed(v2(), (copy) => {
        copy.outputs[0].shape = [3, 1];
      });
      expect(modelOutputMismatch(reshaped, v2())).toBe('$.outputs[0].shape[0]: expected 1, got 3 (compared exactly)');
      const longer = changed(v2(), (copy) => {
        copy.outputs[0].shape = [1, 3, 1];
      });
      expect(modelOutputMismatch(longer, v2())).toBe('$.outputs[0].shape: expected an array of length 2, got length 3');
      const moreData = changed(v2(), (copy) => {
        copy.outputs[0].data.push(0);
      });
      expect(modelOutputMismatch(moreData, v2())).toBe('$.outputs[0].data: expected an array of length 3, got length 4');
      const fewerRows = changed(topK(), (copy) => {
        copy.predictions[0].top_k.pop();
      });
      expect(fewerRows).not.toMatchModelOutput(topK(), { subset: true });
    });

    it('integer tensors exactly, whatever their size, and a datatype change', () => {
      expect(modelOutputMismatch({ datatype: 'INT64', data: [1e15 + 1] }, { datatype: 'INT64', data: [1e15] })).toBe(
        '$.data[0]: expected 1000000000000000, got 1000000000000001 (compared exactly)',
      );
      expect(modelOutputMismatch({ datatype: 'INT32', data: [2.0000001] }, { datatype: 'INT32', data: [2] })).toBe(
        '$.data[0]: expected 2, got 2.0000001 (compared exactly)',
      );
      expect(modelOutputMismatch([2n ** 63n - 2n], [2n ** 63n - 1n])).toBe('$[0]: expected 9223372036854775807n, got 9223372036854775806n');
      const retyped = changed(v2(), (copy) => {
        copy.outputs[1].datatype = 'INT32';
      });
      expect(modelOutputMismatch(retyped, v2())).toBe('$.outputs[1].datatype: expected "INT64", got "INT32"');
      // Integers outside any float context stay exact, e.g. counts.
      expect({ test_samples: 31 }).not.toMatchModelOutput({ test_samples: 30 });
    });

    it('missing keys, wrong types, strings and booleans', () => {
      expect(modelOutputMismatch({ model: 'iris' }, { model: 'iris', version: 1 })).toBe('$.version: expected 1, but the key is missing');
      expect(modelOutputMismatch({ probability: '0.99' }, { probability: 0.99 })).toBe('$.probability: expected 0.99 (number), got "0.99" (string)');
      expect(modelOutputMismatch({ data: [true, false] }, { data: [true, true] })).toBe('$.data[1]: expected true, got false');
      expect(modelOutputMismatch({ data: ['NaN'] }, { data: [Number.NaN] })).toBe('$.data[0]: expected NaN (number), got "NaN" (string)');
      expect(modelOutputMismatch({ probabilities: { 'not a name': 0.5 } }, { probabilities: { 'not a name': 0.6 } })).toMatch(/^\$\.probabilities\["not a name"\]: /);
    });

    it('assertModelOutput throws the same message outside expect()', () => {
      expect(() => assertModelOutput({ label: 'cat' }, { label: 'dog' })).toThrow('model output differs at $.label: expected "dog", got "cat"');
      expect(() => assertModelOutput({ label: 'dog' }, { label: 'dog' })).not.toThrow();
    });
  });

  it('takes a looser or tighter tolerance when asked', () => {
    expect({ score: 1.001 }).toMatchModelOutput({ score: 1 }, { rel: 1e-2 });
    expect({ score: 0.995697 }).not.toMatchModelOutput({ score: 0.995696 }, { rel: 1e-7, abs: 0 });
  });
});
