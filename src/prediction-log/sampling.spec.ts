import { describe, expect, it } from 'vitest';
import { sampler, unitHash } from './sampling';

const ids = (count: number, prefix = 'req-') => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

describe('sampler (PREDICTION_LOG_SAMPLE)', () => {
  it('takes every prediction at 1 and none at 0, whatever the id', () => {
    expect(ids(100).every(sampler(1))).toBe(true);
    expect(ids(100).some(sampler(0))).toBe(false);
    expect(sampler(1)(undefined)).toBe(true);
    expect(sampler(0)(undefined)).toBe(false);
  });

  it('decides by the request id alone: the same id gets the same answer every time', () => {
    const half = sampler(0.5);
    const first = ids(200).map(half);
    expect(ids(200).map(half)).toEqual(first);
    expect(ids(200).map(sampler(0.5))).toEqual(first);
  });

  it('takes about the configured share of sequential and random-looking ids (fixed ids: exact counts)', () => {
    // The ids are fixed, so these counts are the same on every run.
    for (const rate of [0.1, 0.5, 0.9]) {
      const taken = ids(10_000).filter(sampler(rate)).length;
      expect(Math.abs(taken - rate * 10_000)).toBeLessThan(200);
    }
    const uuids = ids(10_000).map((id) => `00000000-0000-4000-8000-${id.padStart(12, '0').slice(-12)}`);
    expect(Math.abs(uuids.filter(sampler(0.5)).length - 5_000)).toBeLessThan(200);
  });

  it('nests the shares: an id taken at a rate is taken at every higher rate', () => {
    for (const id of ids(500)) {
      if (sampler(0.2)(id)) expect(sampler(0.6)(id)).toBe(true);
    }
  });

  it('draws from the random source for a prediction without a request id', () => {
    const draws = [0.1, 0.7, 0.3];
    const take = sampler(0.5, () => draws.shift()!);
    expect([take(undefined), take(undefined), take(undefined)]).toEqual([true, false, true]);
  });

  it('hashes into [0, 1)', () => {
    for (const id of ['', 'a', 'b', 'req-1', 'x'.repeat(128)]) {
      const value = unitHash(id);
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
    expect(unitHash('req-1')).not.toBe(unitHash('req-2'));
  });
});
