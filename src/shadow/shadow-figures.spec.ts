import { describe, expect, it } from 'vitest';
import type { OutputComparison } from './output-comparison';
import { LARGEST_KEPT, mergeFigures, ShadowFigures } from './shadow-figures';

type Compared = Extract<OutputComparison, { comparable: true }>;

const comparison = (absolutes: number[], agree = absolutes.length): Compared => ({
  comparable: true,
  rows: absolutes.length,
  top1: { agree, total: absolutes.length },
  topk: { agree: absolutes.length, total: absolutes.length, k: 2 },
  differences: absolutes.map((absolute, row) => ({ output: 'p', row, absolute, relative: absolute / 2 })),
});

describe('ShadowFigures', () => {
  it('counts outcomes, agreements and differences per pair of versions, instances numbered over the runs of a request', () => {
    const figures = new ShadowFigures(new Date('2026-01-01T00:00:00Z'));
    figures.count(1, '2', 'dropped');
    figures.count(1, '2', 'compared');
    figures.compared(1, '2', comparison([0.1, 0.3], 1), 'r1', 0);
    figures.compared(1, '2', comparison([0.2]), 'r1', 2);
    figures.count(3, 'canary', 'unavailable');
    const snapshot = figures.snapshot();
    expect(snapshot.since).toBe('2026-01-01T00:00:00.000Z');
    expect(snapshot.pairs).toHaveLength(2);
    const [pair, unavailable] = snapshot.pairs;
    expect(pair).toMatchObject({
      serving_version: 1,
      shadow_version: '2',
      requests: { compared: 1, dropped: 1, failed: 0, incomparable: 0, unavailable: 0 },
      rows: 3,
      top1: { agree: 2, total: 3 },
      topk: { agree: 3, total: 3, k: 2 },
    });
    expect(pair.outputs.p).toMatchObject({ rows: 3, max_absolute: 0.3, max_relative: 0.15 });
    expect(pair.outputs.p.sum_absolute).toBeCloseTo(0.6, 12);
    expect(pair.outputs.p.largest).toEqual([
      { request_id: 'r1', instance: 1, absolute: 0.3, relative: 0.15 },
      { request_id: 'r1', instance: 2, absolute: 0.2, relative: 0.1 },
      { request_id: 'r1', instance: 0, absolute: 0.1, relative: 0.05 },
    ]);
    expect(unavailable).toMatchObject({ serving_version: 3, shadow_version: 'canary', requests: { unavailable: 1 }, rows: 0, topk: { k: null } });
  });

  it('keeps only the largest differences, largest first', () => {
    const figures = new ShadowFigures(new Date());
    const values = Array.from({ length: 50 }, (_, i) => ((i * 37) % 50) / 50);
    figures.compared(1, '2', comparison(values), 'r', 0);
    const largest = figures.snapshot().pairs[0].outputs.p.largest.map((d) => d.absolute);
    expect(largest).toEqual([...values].sort((a, b) => b - a).slice(0, LARGEST_KEPT));
  });
});

describe('mergeFigures', () => {
  it("adds up processes' counts and sums, takes the maxima, merges the largest differences and the earliest since", () => {
    const one = new ShadowFigures(new Date('2026-01-01T00:00:02Z'));
    one.count(1, '2', 'compared');
    one.compared(1, '2', comparison([0.1, 0.5], 1), 'a', 0);
    const two = new ShadowFigures(new Date('2026-01-01T00:00:01Z'));
    two.count(1, '2', 'compared');
    two.count(1, '2', 'dropped');
    two.compared(1, '2', comparison([0.4]), 'b', 0);
    two.count(2, '3', 'failed');
    const merged = mergeFigures([one.snapshot(), two.snapshot()]);
    expect(merged.since).toBe('2026-01-01T00:00:01.000Z');
    expect(merged.pairs.map((pair) => [pair.serving_version, pair.shadow_version])).toEqual([
      [1, '2'],
      [2, '3'],
    ]);
    expect(merged.pairs[0]).toMatchObject({ requests: { compared: 2, dropped: 1 }, rows: 3, top1: { agree: 2, total: 3 }, topk: { k: 2 } });
    expect(merged.pairs[0].outputs.p).toMatchObject({ rows: 3, max_absolute: 0.5 });
    expect(merged.pairs[0].outputs.p.largest.map((d) => [d.request_id, d.absolute])).toEqual([
      ['a', 0.5],
      ['b', 0.4],
      ['a', 0.1],
    ]);
    // The inputs are left as they were.
    expect(one.snapshot().pairs[0].rows).toBe(2);
  });
});
