import { describe, expect, it } from 'vitest';
import { compareCounts, sumCounts } from './drift-report';
import { noisePsi, psi } from './psi';

describe('compareCounts', () => {
  it('gives the PSI, its noise bound, the verdict and both distributions as fractions', () => {
    const compared = compareCounts([25, 25, 50], [1, 1, 2]);
    expect(compared).toEqual({
      psi: psi([25, 25, 50], [1, 1, 2]),
      noise_psi: noisePsi(3, 4, 100),
      verdict: 'stable',
      instances: 4,
      reference_instances: 100,
      reference: [0.25, 0.25, 0.5],
      live: [0.25, 0.25, 0.5],
      counts: [1, 1, 2],
    });
  });

  it('calls a large window that moved significant, and an empty one no_data', () => {
    expect(compareCounts([500, 500], [100, 900]).verdict).toBe('significant');
    expect(compareCounts([500, 500], [400, 600]).verdict).toBe('stable');
    expect(compareCounts([500, 500], [0, 0])).toMatchObject({ psi: null, noise_psi: null, verdict: 'no_data', live: [0, 0] });
  });
});

describe('sumCounts', () => {
  it('adds the windows of several processes bin by bin, without changing them', () => {
    const first = { instances: 2, counts: [[1, 1], [2, 0, 0]] };
    const second = { instances: 3, counts: [[0, 3], [1, 1, 1]] };
    expect(sumCounts([first, second])).toEqual({ instances: 5, counts: [[1, 4], [3, 1, 1]] });
    expect(first.counts).toEqual([[1, 1], [2, 0, 0]]);
  });
});
