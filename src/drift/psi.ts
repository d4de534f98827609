/**
 * The population stability index and the verdict on it: pure functions, shared by the live windows,
 * the /metrics gauges and GET /v1/models/{name}/drift.
 *
 *   PSI = sum over bins of (live_i - ref_i) * ln(live_i / ref_i)
 *
 * with each distribution smoothed by half an instance per bin (Jeffreys):
 *   ref_i = (R_i + 0.5) / (M + 0.5 B),  live_i = (L_i + 0.5) / (N + 0.5 B)
 * (R_i, L_i counts, M, N their sums, B bins). That is the "epsilon" for empty bins: a fixed one such as
 * 1e-4 lets a single empty bin of a small window add ~0.4 to the PSI (ln(0.1 / 1e-4) ~ 7, times 0.06),
 * whereas half an instance is as much as the counts can tell apart from zero.
 */

/** The usual thresholds: below 0.1 no significant change; 0.1 to 0.25 moderate; 0.25 and above significant. */
export const PSI_MODERATE = 0.1;
export const PSI_SIGNIFICANT = 0.25;
/** The verdict calls a PSI that sampling alone reaches in fewer than 1 window in 100 drift; z of that quantile. */
export const NOISE_QUANTILE = 0.99;
const NOISE_Z = 2.3263478740408408;

export type DriftVerdict = 'stable' | 'moderate' | 'significant' | 'no_data';

/**
 * The bin of `value` for increasing cut points `edges`: the number of edges below it, so that
 * edges[i-1] < value <= edges[i] is bin i (numpy.searchsorted(edges, value, side="left"), as
 * training/drift_reference.py counts the reference). A binary search, no allocation. NaN has no bin (-1).
 */
export function binIndex(edges: ArrayLike<number>, value: number): number {
  if (value !== value) return -1;
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (edges[mid] < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The PSI of live counts against reference counts (same bins), smoothed as above; 0 for an empty window. */
export function psi(reference: ArrayLike<number>, live: ArrayLike<number>): number {
  const bins = reference.length;
  if (live.length !== bins) throw new Error(`psi: ${live.length} live bins for ${bins} reference bins`);
  const m = sum(reference);
  const n = sum(live);
  if (n === 0 || m === 0) return 0;
  let total = 0;
  for (let i = 0; i < bins; i++) {
    const expected = (reference[i] + 0.5) / (m + 0.5 * bins);
    const actual = (live[i] + 0.5) / (n + 0.5 * bins);
    total += (actual - expected) * Math.log(actual / expected);
  }
  // Rounding can leave -1e-17 for identical distributions; PSI is never negative.
  return Math.max(0, total);
}

/** Fractions of a count vector (all 0 when it is empty). */
export function fractions(counts: ArrayLike<number>): number[] {
  const total = sum(counts);
  return Array.from(counts, (count) => (total === 0 ? 0 : count / total));
}

/**
 * The PSI that sampling noise alone stays below in 99% of windows with no drift at all: with no drift,
 * PSI ~ (1/N + 1/M) * chi-squared(B - 1) for N live and M reference instances in B bins (PSI is the
 * symmetrised Kullback-Leibler divergence, whose small-difference expansion is Pearson's chi-squared
 * statistic of the two samples divided by their sizes; see B. Yurdakul, "Statistical properties of the
 * population stability index", 2018).
 * It matters for small windows and small references: 30 live flowers against iris's 120 training rows
 * in 10 bins give PSI ~0.38 on average with no drift at all, past the "significant" threshold.
 */
export function noisePsi(bins: number, live: number, reference: number): number {
  if (bins < 2 || live === 0 || reference === 0) return 0;
  return chiSquaredQuantile(bins - 1) * (1 / live + 1 / reference);
}

/**
 * stable / moderate / significant at the usual 0.1 / 0.25 thresholds, except that a PSI within the
 * sampling noise of the window (noisePsi) is stable: the counts cannot tell it from no drift.
 * `no_data` while the window holds no instance.
 */
export function verdictOf(value: number, noise: number, live: number): DriftVerdict {
  if (live === 0) return 'no_data';
  if (value < PSI_MODERATE || value <= noise) return 'stable';
  return value < PSI_SIGNIFICANT ? 'moderate' : 'significant';
}

/** The 99% quantile of chi-squared with `df` degrees of freedom (Wilson-Hilferty; within 1% from df 1). */
export function chiSquaredQuantile(df: number): number {
  const a = 2 / (9 * df);
  return df * (1 - a + NOISE_Z * Math.sqrt(a)) ** 3;
}

function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}
