/**
 * The manifest's `drift` section: what the data a version was trained on looked like, so the service can
 * say how far live traffic has moved from it (src/drift/). Written by training/drift_reference.py:
 *
 *   "drift": {"reference": "...", "window": 1000,
 *             "features": {"sepal_length": {"edges": [4.75, ...], "counts": [13, ...]}},
 *             "predictions": {"counts": [40, 41, 39]}}
 *
 * Counts rather than fractions: exact, and their sum is the reference's size, which the verdict needs
 * (a small reference is itself noisy). A value v is in bin i when edges[i-1] < v <= edges[i].
 */
export interface DriftReference {
  /** What the counts were taken from, for people. */
  readonly reference?: string;
  /** Instances per version and HTTP process over which live counts are kept (a sliding window). */
  readonly window: number;
  /** By feature name (a subset of the manifest's `features`), in the manifest's feature order. */
  readonly features: ReadonlyMap<string, FeatureReference>;
  /** Reference instances per predicted class, one count per label. */
  readonly predictions?: PredictionReference;
}

export interface FeatureReference {
  /** Increasing, finite cut points: edges.length + 1 bins. */
  readonly edges: readonly number[];
  readonly counts: readonly number[];
}

export interface PredictionReference {
  readonly counts: readonly number[];
}

export const DEFAULT_DRIFT_WINDOW = 1000;
export const MAX_DRIFT_WINDOW = 1_000_000;
/** Bin numbers become metric labels and live in 16-bit slots of the window (one value is "not counted"). */
export const MAX_DRIFT_BINS = 100;
export const MAX_DRIFT_CLASSES = 65_535;

const DRIFT_KEYS = ['reference', 'window', 'features', 'predictions'];

/**
 * Checks the raw `drift` JSON against the manifest it sits in (features it names, labels); throws an
 * Error saying what is wrong, which the manifest parser prefixes with the file.
 */
export function parseDriftReference(raw: unknown, manifest: { features?: readonly string[]; labels?: readonly string[] }): DriftReference {
  const drift = plainObject(raw, 'drift');
  for (const key of Object.keys(drift)) {
    if (!DRIFT_KEYS.includes(key)) throw new Error(`drift.${key} is not a drift setting (${DRIFT_KEYS.join(', ')})`);
  }
  if (drift.reference !== undefined && typeof drift.reference !== 'string') throw new Error('drift.reference must be a string');
  const window = drift.window ?? DEFAULT_DRIFT_WINDOW;
  if (!Number.isInteger(window) || (window as number) < 1 || (window as number) > MAX_DRIFT_WINDOW) {
    throw new Error(`drift.window must be an integer from 1 to ${MAX_DRIFT_WINDOW}`);
  }
  const features = new Map<string, FeatureReference>();
  if (drift.features !== undefined) {
    const named = plainObject(drift.features, 'drift.features');
    for (const name of Object.keys(named)) {
      if (!manifest.features?.includes(name)) {
        throw new Error(`drift.features.${name} is not one of the manifest's features (${manifest.features?.join(', ') ?? 'none'})`);
      }
    }
    // The manifest's feature order, whatever order the JSON object has.
    for (const name of manifest.features ?? []) {
      if (Object.hasOwn(named, name)) features.set(name, featureReference(named[name], `drift.features.${name}`));
    }
  }
  let predictions: PredictionReference | undefined;
  if (drift.predictions !== undefined) {
    const section = plainObject(drift.predictions, 'drift.predictions');
    for (const key of Object.keys(section)) {
      if (key !== 'counts') throw new Error(`drift.predictions.${key} is not a setting (counts)`);
    }
    if (!manifest.labels) throw new Error('drift.predictions needs the manifest\'s "labels"');
    if (manifest.labels.length > MAX_DRIFT_CLASSES) throw new Error(`drift.predictions supports up to ${MAX_DRIFT_CLASSES} labels`);
    predictions = { counts: counts(section.counts, manifest.labels.length, 'drift.predictions.counts') };
  }
  if (features.size === 0 && !predictions) throw new Error('drift needs "features", "predictions" or both');
  return {
    ...(drift.reference !== undefined ? { reference: drift.reference as string } : {}),
    window: window as number,
    features,
    ...(predictions ? { predictions } : {}),
  };
}

function featureReference(raw: unknown, at: string): FeatureReference {
  const section = plainObject(raw, at);
  for (const key of Object.keys(section)) {
    if (key !== 'edges' && key !== 'counts') throw new Error(`${at}.${key} is not a setting (edges, counts)`);
  }
  const edges = section.edges;
  if (!Array.isArray(edges) || edges.length > MAX_DRIFT_BINS - 1 || !edges.every((e) => typeof e === 'number' && Number.isFinite(e))) {
    throw new Error(`${at}.edges must be an array of at most ${MAX_DRIFT_BINS - 1} finite numbers`);
  }
  if (edges.some((edge, i) => i > 0 && edge <= edges[i - 1])) throw new Error(`${at}.edges must be strictly increasing`);
  return { edges: edges as number[], counts: counts(section.counts, edges.length + 1, `${at}.counts`) };
}

function counts(raw: unknown, length: number, at: string): number[] {
  if (!Array.isArray(raw) || raw.length !== length || !raw.every((c) => Number.isSafeInteger(c) && c >= 0)) {
    throw new Error(`${at} must be ${length} integers >= 0`);
  }
  if (!raw.some((c) => c > 0)) throw new Error(`${at} must count at least one reference instance`);
  return raw as number[];
}

function plainObject(raw: unknown, at: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${at} must be an object`);
  return raw as Record<string, unknown>;
}
