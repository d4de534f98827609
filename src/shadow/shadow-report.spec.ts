import { describe, expect, it } from 'vitest';
import { ShadowFigures } from './shadow-figures';
import { mapAgreement, mapShadowReport, wilsonInterval } from './shadow-report';

describe('wilsonInterval', () => {
  it('matches published values of the 95% Wilson score interval', () => {
    // Newcombe (1998), Statistics in Medicine 17: 857-872, table I: 81/263 -> 0.2553-0.3662; 15/148 -> 0.0624-0.1605.
    const [lo, hi] = wilsonInterval(81, 263);
    expect(lo).toBeCloseTo(0.2553, 4);
    expect(hi).toBeCloseTo(0.3662, 4);
    const [lo2, hi2] = wilsonInterval(15, 148);
    expect(lo2).toBeCloseTo(0.0624, 4);
    expect(hi2).toBeCloseTo(0.1605, 4);
  });

  it('stays within [0, 1] and is not empty at 0 or all agreements', () => {
    const [lo, hi] = wilsonInterval(10, 10);
    expect(hi).toBe(1);
    expect(lo).toBeCloseTo(0.7225, 4);
    const [zeroLo, zeroHi] = wilsonInterval(0, 10);
    expect(zeroLo).toBe(0);
    expect(zeroHi).toBeCloseTo(0.2775, 4);
  });

  it('leaves rate and interval out (null) with nothing compared', () => {
    expect(mapAgreement({ agree: 0, total: 0 })).toEqual({ agree: 0, total: 0, rate: null, interval95: null });
    expect(mapAgreement({ agree: 3, total: 4 })).toMatchObject({ rate: 0.75 });
  });
});

describe('mapShadowReport', () => {
  it('answers the config, the totals over every pair and each pair with its outputs', () => {
    const figures = new ShadowFigures(new Date('2026-01-01T00:00:00Z'));
    figures.count(1, '2', 'compared');
    figures.compared(1, '2', { comparable: true, rows: 2, top1: { agree: 1, total: 2 }, differences: [{ output: 'y', row: 0, absolute: 0.5, relative: 0.25 }] }, 'r', 0);
    figures.count(3, '2', 'failed');
    const report = mapShadowReport('m', { version: 'canary', sample: 0.5 }, 2, figures.snapshot(), 1);
    expect(report).toMatchObject({
      model: 'm',
      shadow: { version: 'canary', sample: 0.5, queue_size: 64 },
      shadow_version: 2,
      since: '2026-01-01T00:00:00.000Z',
      processes: 1,
      requests: { compared: 1, failed: 1, dropped: 0 },
      rows: 2,
      top1: { agree: 1, total: 2, rate: 0.5 },
      topk: { agree: 0, total: 0, rate: null, k: null },
    });
    expect(report.comparisons.map((c) => [c.serving_version, c.shadow_version])).toEqual([
      [1, 2],
      [3, 2],
    ]);
    expect(report.comparisons[0].outputs.y).toEqual({
      rows: 1,
      max_absolute: 0.5,
      mean_absolute: 0.5,
      max_relative: 0.25,
      mean_relative: 0.25,
      largest: [{ request_id: 'r', instance: 0, absolute: 0.5, relative: 0.25 }],
    });
  });

  it('names an unresolved label as it is, and no shadow version', () => {
    const figures = new ShadowFigures(new Date());
    figures.count(1, 'later', 'unavailable');
    const report = mapShadowReport('m', { version: 'later', sample: 1 }, undefined, figures.snapshot(), 1);
    expect(report.shadow_version).toBeNull();
    expect(report.comparisons[0].shadow_version).toBe('later');
  });
});
