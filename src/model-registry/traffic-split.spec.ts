import { describe, expect, it } from 'vitest';
import { pickWeightedVersion } from './traffic-split';

const always = () => true;

describe('pickWeightedVersion', () => {
  it('splits in proportion to the weights, by the random point', () => {
    const weights = { '1': 90, '2': 10 };
    expect(pickWeightedVersion('m', weights, always, undefined, () => 0)).toBe(1);
    expect(pickWeightedVersion('m', weights, always, undefined, () => 0.899)).toBe(1);
    expect(pickWeightedVersion('m', weights, always, undefined, () => 0.9)).toBe(2);
    expect(pickWeightedVersion('m', weights, always, undefined, () => 0.999)).toBe(2);
  });

  it('keeps proportions for weights whose sum would overflow', () => {
    const weights = { '1': 1e308, '2': 1e308 };
    expect(pickWeightedVersion('m', weights, always, undefined, () => 0.25)).toBe(1);
    expect(pickWeightedVersion('m', weights, always, undefined, () => 0.75)).toBe(2);
  });

  it('only picks versions that can serve, and none when no weighted one can', () => {
    const weights = { '1': 50, '2': 50, '3': 0 };
    expect(pickWeightedVersion('m', weights, (version) => version === 2, undefined, () => 0)).toBe(2);
    expect(pickWeightedVersion('m', weights, (version) => version === 3, undefined, () => 0)).toBeUndefined();
    expect(pickWeightedVersion('m', {}, always, undefined, () => 0)).toBeUndefined();
  });

  it('gives one request key the same version every time, whatever the random source', () => {
    const weights = { '1': 50, '2': 50 };
    const first = pickWeightedVersion('m', weights, always, 'alice', () => 0);
    for (const random of [() => 0.3, () => 0.7, Math.random]) {
      expect(pickWeightedVersion('m', weights, always, 'alice', random)).toBe(first);
    }
    const versions = new Set(Array.from({ length: 50 }, (_, i) => pickWeightedVersion('m', weights, always, `user-${i}`)));
    expect([...versions].sort()).toEqual([1, 2]);
  });
});
