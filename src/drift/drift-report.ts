import type { DriftLayout, WindowCounts } from './drift-window';
import type { DriftDistributionDto, DriftReportDto, FeatureDriftDto } from './drift.dto';
import { fractions, NOISE_QUANTILE, noisePsi, psi, PSI_MODERATE, PSI_SIGNIFICANT, verdictOf } from './psi';

/** One distribution's numbers from its reference and live counts. */
export function compareCounts(reference: readonly number[], live: readonly number[]): DriftDistributionDto {
  const instances = total(live);
  const referenceInstances = total(reference);
  const value = instances === 0 ? null : psi(reference, live);
  const noise = instances === 0 ? null : noisePsi(reference.length, instances, referenceInstances);
  return {
    psi: value,
    noise_psi: noise,
    verdict: verdictOf(value ?? 0, noise ?? 0, instances),
    instances,
    reference_instances: referenceInstances,
    reference: fractions(reference),
    live: fractions(live),
    counts: [...live],
  };
}

/** Adds other windows' counts (other HTTP processes of the pod) to the first; all of one layout. */
export function sumCounts(windows: readonly WindowCounts[]): WindowCounts {
  const [first, ...rest] = windows;
  const counts = first.counts.map((column) => [...column]);
  let instances = first.instances;
  for (const other of rest) {
    instances += other.instances;
    other.counts.forEach((column, c) => column.forEach((count, bin) => (counts[c][bin] += count)));
  }
  return { instances, counts };
}

/** The answer of GET /v1/models/{name}/drift. */
export function mapDriftReport(
  model: string,
  version: number,
  layout: DriftLayout,
  window: WindowCounts,
  processes: number,
): DriftReportDto {
  const features: Record<string, FeatureDriftDto> = {};
  let predictions: DriftReportDto['predictions'];
  layout.columns.forEach((column, c) => {
    const compared = compareCounts(column.reference, window.counts[c]);
    if (column.kind === 'feature') features[column.name] = { ...compared, edges: Array.from(column.edges) };
    else predictions = { ...compared, labels: [...(layout.labels ?? [])] };
  });
  return {
    model,
    version,
    ...(layout.description ? { reference: layout.description } : {}),
    window: layout.window,
    instances: window.instances,
    processes,
    thresholds: { moderate: PSI_MODERATE, significant: PSI_SIGNIFICANT, noise_quantile: NOISE_QUANTILE },
    features,
    ...(predictions ? { predictions } : {}),
  };
}

function total(counts: readonly number[]): number {
  let sum = 0;
  for (const count of counts) sum += count;
  return sum;
}
