import { describe, expect, it } from 'vitest';
import { binIndex, chiSquaredQuantile, fractions, noisePsi, psi, verdictOf } from './psi';

describe('binIndex', () => {
  const edges = [1.45, 1.55, 1.65, 3.95];

  it('puts a value in bin i when edges[i-1] < value <= edges[i], as numpy.searchsorted(side="left")', () => {
    expect(binIndex(edges, 1.0)).toBe(0);
    expect(binIndex(edges, 1.45)).toBe(0);
    expect(binIndex(edges, 1.46)).toBe(1);
    expect(binIndex(edges, 1.6)).toBe(2);
    expect(binIndex(edges, 3.95)).toBe(3);
    expect(binIndex(edges, 4)).toBe(4);
  });

  it('puts everything below the first edge in the first bin and above the last in the last, infinities too', () => {
    expect(binIndex(edges, -Infinity)).toBe(0);
    expect(binIndex(edges, Infinity)).toBe(4);
    expect(binIndex([], 42)).toBe(0);
  });

  it('gives NaN no bin', () => {
    expect(binIndex(edges, Number.NaN)).toBe(-1);
  });

  it('agrees with a linear scan on many edges', () => {
    const many = Float64Array.from({ length: 99 }, (_, i) => i * 0.5 - 10);
    for (let value = -12; value <= 42; value += 0.25) {
      expect(binIndex(many, value)).toBe(many.filter((edge) => edge < value).length);
    }
  });
});

describe('psi', () => {
  it('is 0 for the same distribution, whatever the sizes', () => {
    expect(psi([10, 20, 30], [10, 20, 30])).toBeCloseTo(0, 12);
    expect(psi([0, 0, 5], [0, 0, 5])).toBeCloseTo(0, 12);
  });

  it('smooths each distribution by half an instance per bin (the epsilon for empty bins)', () => {
    const reference = [40, 40, 20];
    const live = [0, 5, 5];
    const expected = [40.5 / 101.5, 40.5 / 101.5, 20.5 / 101.5];
    const actual = [0.5 / 11.5, 5.5 / 11.5, 5.5 / 11.5];
    const byHand = expected.reduce((sum, e, i) => sum + (actual[i] - e) * Math.log(actual[i] / e), 0);
    expect(psi(reference, live)).toBeCloseTo(byHand, 12);
  });

  it('matches the textbook value where smoothing is negligible', () => {
    // 5% moved from the first decile to the last: (0.05 - 0.1) ln(0.5) + (0.15 - 0.1) ln(1.5) = 0.0549.
    const reference = Array.from({ length: 10 }, () => 100_000);
    const live = [50_000, ...Array.from({ length: 8 }, () => 100_000), 150_000];
    expect(psi(reference, live)).toBeCloseTo(-0.05 * Math.log(0.5) + 0.05 * Math.log(1.5), 5);
  });

  it('is 0 for an empty window and refuses bins that do not match', () => {
    expect(psi([1, 2], [0, 0])).toBe(0);
    expect(() => psi([1, 2], [1, 2, 3])).toThrow('3 live bins for 2 reference bins');
  });
});

describe('fractions', () => {
  it('divides by the total, and is all 0 when empty', () => {
    expect(fractions([1, 3])).toEqual([0.25, 0.75]);
    expect(fractions([0, 0])).toEqual([0, 0]);
  });
});

describe('noisePsi and chiSquaredQuantile', () => {
  it('approximates the 99% quantiles of chi-squared', () => {
    // Exact values: 6.635 (1), 21.666 (9), 29.141 (14), 135.807 (100).
    expect(chiSquaredQuantile(1)).toBeCloseTo(6.635, 0);
    expect(chiSquaredQuantile(9)).toBeCloseTo(21.666, 1);
    expect(chiSquaredQuantile(14)).toBeCloseTo(29.141, 1);
    expect(chiSquaredQuantile(100)).toBeCloseTo(135.807, 0);
  });

  it('scales with 1/N + 1/M, and is 0 with one bin or no data', () => {
    expect(noisePsi(10, 30, 120)).toBeCloseTo(chiSquaredQuantile(9) * (1 / 30 + 1 / 120), 12);
    expect(noisePsi(10, 1000, 8000)).toBeLessThan(0.03);
    expect(noisePsi(1, 30, 120)).toBe(0);
    expect(noisePsi(10, 0, 120)).toBe(0);
  });
});

describe('verdictOf', () => {
  it('uses the usual 0.1 / 0.25 thresholds when the window is large enough to tell', () => {
    expect(verdictOf(0.05, 0.02, 1000)).toBe('stable');
    expect(verdictOf(0.1, 0.02, 1000)).toBe('moderate');
    expect(verdictOf(0.24, 0.02, 1000)).toBe('moderate');
    expect(verdictOf(0.25, 0.02, 1000)).toBe('significant');
  });

  it('calls a PSI within the sampling noise stable', () => {
    expect(verdictOf(0.4, 0.9, 30)).toBe('stable');
    expect(verdictOf(0.95, 0.9, 30)).toBe('significant');
    expect(verdictOf(0.2, 0.15, 200)).toBe('moderate');
  });

  it('says no_data for an empty window', () => {
    expect(verdictOf(0, 0, 0)).toBe('no_data');
  });
});
