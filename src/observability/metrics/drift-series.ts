import type { Registry } from 'prom-client';
import { type Emit, registerScrapedSeries, type ScrapedSeries } from './scraped-series';

type Labels = Readonly<Record<string, string>>;

/** One compared distribution of a version (a feature, or the predicted class) as its series read it. */
export interface DriftColumnReading {
  /** The labels of the column's PSI: the version's, and `feature` for a feature. */
  readonly labels: Labels;
  /** The labels of each bin: the version's, and `feature` and `bin`, or `class`. */
  readonly binLabels: readonly Labels[];
  /** Instances of the drift reference (the training data) in each bin. */
  readonly reference: ArrayLike<number>;
  /** Instances counted in each bin since the version loaded. */
  observed(): ArrayLike<number>;
  /** The PSI of the sliding window against the reference; undefined while no instance of the window has a bin here. */
  psi(): number | undefined;
}

/** One version's drift, as drift/drift-monitor.ts reads it for the series when Prometheus scrapes. */
export interface VersionDriftReading {
  readonly labels: { readonly model: string; readonly version: string };
  /** Instances in the sliding window now. */
  readonly instances: number;
  readonly features: readonly DriftColumnReading[];
  /** The predicted class's distribution: one column, or none for a version that predicts no classes. */
  readonly predictions: readonly DriftColumnReading[];
}

type Read = (version: VersionDriftReading, emit: Emit<string>) => void;

const features = (version: VersionDriftReading) => version.features;
const predictions = (version: VersionDriftReading) => version.predictions;

/** Every bin of the chosen columns, valued by `value`. */
function eachBin(columns: (version: VersionDriftReading) => readonly DriftColumnReading[], value: (column: DriftColumnReading) => ArrayLike<number>): Read {
  return (version, emit) => {
    for (const column of columns(version)) {
      const values = value(column);
      column.binLabels.forEach((labels, bin) => emit(labels, values[bin]));
    }
  };
}

/** The PSI of each of the chosen columns that has one. */
function eachPsi(columns: (version: VersionDriftReading) => readonly DriftColumnReading[]): Read {
  return (version, emit) => {
    for (const column of columns(version)) {
      const psi = column.psi();
      if (psi !== undefined) emit(column.labels, psi);
    }
  };
}

const VERSION = ['model', 'version'] as const;
const FEATURE_BIN = [...VERSION, 'feature', 'bin'];
const CLASS = [...VERSION, 'class'];
// A PSI cannot be added up across processes. The merged scrape keeps the largest: keep-alive connections
// pin a client to one process, so a drifting client may show in one process's window only.
const LARGEST_PSI = 'max';
// The reference is the same in every HTTP process: summing would multiply it.
const SAME_IN_EVERY_PROCESS = 'first';

/** The drift series, in the order they are registered (and written). */
const DRIFT_SERIES: readonly (ScrapedSeries<string> & { readonly read: Read })[] = [
  {
    type: 'counter',
    name: 'model_feature_bin_observations_total',
    help: 'Instances whose feature value fell in this bin of the drift reference (bins: see GET /v1/models/{name}/drift), since the version loaded',
    labelNames: FEATURE_BIN,
    read: eachBin(features, (column) => column.observed()),
  },
  {
    type: 'counter',
    name: 'model_prediction_class_observations_total',
    help: 'Instances predicted as this class (the argmax of the scores), since the version loaded',
    labelNames: CLASS,
    read: eachBin(predictions, (column) => column.observed()),
  },
  {
    type: 'gauge',
    name: 'model_feature_reference_bin_instances',
    help: 'Instances of the drift reference (the training data) in this bin of the feature',
    labelNames: FEATURE_BIN,
    aggregator: SAME_IN_EVERY_PROCESS,
    read: eachBin(features, (column) => column.reference),
  },
  {
    type: 'gauge',
    name: 'model_prediction_reference_class_instances',
    help: 'Instances of the drift reference (the training data) the version predicts as this class',
    labelNames: CLASS,
    aggregator: SAME_IN_EVERY_PROCESS,
    read: eachBin(predictions, (column) => column.reference),
  },
  {
    type: 'gauge',
    name: 'model_feature_drift_psi',
    help: "Population stability index of the feature over this process's sliding window against the drift reference (the largest of the HTTP processes)",
    labelNames: [...VERSION, 'feature'],
    aggregator: LARGEST_PSI,
    read: eachPsi(features),
  },
  {
    type: 'gauge',
    name: 'model_prediction_drift_psi',
    help: "Population stability index of the predicted classes over this process's sliding window against the drift reference (the largest of the HTTP processes)",
    labelNames: VERSION,
    aggregator: LARGEST_PSI,
    read: eachPsi(predictions),
  },
  {
    type: 'gauge',
    name: 'model_drift_window_instances',
    help: 'Instances in the sliding drift windows of the version (summed over the HTTP processes)',
    labelNames: VERSION,
    read: (version, emit) => emit(version.labels, version.instances),
  },
];

/**
 * The drift series of every version `versions` gives (READY, with a drift reference), read when
 * Prometheus scrapes: counters from 0 for every bin of a version as soon as it is READY, PSI gauges
 * once its window has data.
 */
export function registerDriftSeries(registry: Registry, versions: () => Iterable<VersionDriftReading>): void {
  for (const { read, ...series } of DRIFT_SERIES) {
    registerScrapedSeries(registry, series, (emit) => {
      for (const version of versions()) read(version, emit);
    });
  }
}
