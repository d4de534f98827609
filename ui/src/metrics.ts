/**
 * Live per-model numbers from the service's own Prometheus text (GET /metrics, which is
 * pod-wide: with several HTTP processes the primary merges their series). Counters and
 * histograms only ever grow, so each scrape is compared with the one before it: rates and
 * quantiles are over the last interval, as Prometheus's rate() and histogram_quantile()
 * would compute them over a window of one scrape interval.
 *
 * Pure functions and plain data: no DOM, so the test suite runs them in Node.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The Prometheus text exposition format (0.0.4): one sample per line, # comments skipped. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parsed = parseLine(line);
    if (parsed) samples.push(parsed);
  }
  return samples;
}

function parseLine(line: string): Sample | undefined {
  const nameEnd = line.search(/[{\s]/);
  if (nameEnd <= 0) return undefined;
  const name = line.slice(0, nameEnd);
  const labels: Record<string, string> = {};
  let i = nameEnd;
  if (line[i] === '{') {
    i++;
    while (i < line.length && line[i] !== '}') {
      const eq = line.indexOf('=', i);
      if (eq < 0 || line[eq + 1] !== '"') return undefined;
      const key = line.slice(i, eq).trim();
      let value = '';
      let j = eq + 2;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length) {
          j++;
          value += line[j] === 'n' ? '\n' : line[j];
        } else {
          value += line[j];
        }
      }
      if (j >= line.length) return undefined;
      labels[key] = value;
      i = j + 1;
      while (line[i] === ',' || line[i] === ' ') i++;
    }
    if (line[i] !== '}') return undefined;
    i++;
  }
  const [valueText] = line.slice(i).trim().split(/\s+/);
  const value = parseSampleValue(valueText);
  return value === undefined ? undefined : { name, labels, value };
}

function parseSampleValue(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const value = Number(text);
  return Number.isNaN(value) ? undefined : value;
}

/** The series this page reads, as src/observability names them. */
export const SERIES = {
  predictions: 'model_predictions_total',
  inferenceSeconds: 'model_inference_duration_seconds',
  batchSize: 'model_batch_size',
  queueDepth: 'model_queue_depth',
} as const;

/** One scrape, reduced to what the page needs: per series (name + labels) its value, per model its gauges. */
export interface Snapshot {
  /** Seconds (wall clock of the browser when the answer came). */
  readonly time: number;
  /** Counter-like values (counters, histogram buckets, sums and counts) by series key. */
  readonly counters: ReadonlyMap<string, { model: string; value: number }>;
  /** Queue depth per model (summed over its versions). */
  readonly queueDepth: ReadonlyMap<string, number>;
  /** Every model with a series in this scrape. */
  readonly models: readonly string[];
}

const COUNTER_SERIES: ReadonlySet<string> = new Set([
  SERIES.predictions,
  `${SERIES.inferenceSeconds}_bucket`,
  `${SERIES.batchSize}_sum`,
  `${SERIES.batchSize}_count`,
]);

function seriesKey(sample: Sample): string {
  const labels = Object.keys(sample.labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(sample.labels[key])}`);
  return `${sample.name}{${labels.join(',')}}`;
}

export function snapshotOf(text: string, time: number): Snapshot {
  const counters = new Map<string, { model: string; value: number }>();
  const queueDepth = new Map<string, number>();
  const models = new Set<string>();
  for (const sample of parsePrometheusText(text)) {
    const model = sample.labels.model;
    if (model === undefined) continue;
    if (COUNTER_SERIES.has(sample.name)) {
      counters.set(seriesKey(sample), { model, value: sample.value });
      models.add(model);
    } else if (sample.name === SERIES.queueDepth) {
      queueDepth.set(model, (queueDepth.get(model) ?? 0) + sample.value);
      models.add(model);
    }
  }
  return { time, counters, queueDepth, models: [...models].sort() };
}

/** What one model did between two scrapes; null where nothing happened that the number could describe. */
export interface ModelPoint {
  /** Requests answered per second (every outcome, both protocols). */
  readonly requestsPerSecond: number;
  /** Inference time per batch, in milliseconds. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Mean rows (instances) per inference. */
  readonly meanBatchSize: number | null;
  /** Instances waiting in the batching queue at the later scrape. */
  readonly queueDepth: number;
}

/**
 * How much each series grew from `before` to `after`, per model. A series that went down was
 * reset (a process restarted, a version was reloaded): as Prometheus does, its whole current value
 * counts as the increase. A series that is new counts from 0 (series appear with their first event).
 */
function increases(before: Snapshot, after: Snapshot): Map<string, Map<string, number>> {
  const byModel = new Map<string, Map<string, number>>();
  for (const [key, { model, value }] of after.counters) {
    const previous = before.counters.get(key)?.value ?? 0;
    const increase = value >= previous ? value - previous : value;
    let series = byModel.get(model);
    if (!series) byModel.set(model, (series = new Map()));
    series.set(key, increase);
  }
  return byModel;
}

export function pointsBetween(before: Snapshot, after: Snapshot): Map<string, ModelPoint> {
  const seconds = after.time - before.time;
  const points = new Map<string, ModelPoint>();
  if (!(seconds > 0)) return points;
  const grown = increases(before, after);
  for (const model of after.models) {
    const series = grown.get(model) ?? new Map<string, number>();
    let requests = 0;
    let batchRows = 0;
    let batches = 0;
    const buckets = new Map<number, number>();
    for (const [key, increase] of series) {
      const name = key.slice(0, key.indexOf('{'));
      if (name === SERIES.predictions) requests += increase;
      else if (name === `${SERIES.batchSize}_sum`) batchRows += increase;
      else if (name === `${SERIES.batchSize}_count`) batches += increase;
      else if (name === `${SERIES.inferenceSeconds}_bucket`) {
        const le = parseSampleValue(/le="([^"]*)"/.exec(key)?.[1]);
        if (le !== undefined) buckets.set(le, (buckets.get(le) ?? 0) + increase);
      }
    }
    const cumulative = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
    const p50 = histogramQuantile(0.5, cumulative);
    const p99 = histogramQuantile(0.99, cumulative);
    points.set(model, {
      requestsPerSecond: requests / seconds,
      p50Ms: p50 === null ? null : p50 * 1000,
      p99Ms: p99 === null ? null : p99 * 1000,
      meanBatchSize: batches > 0 ? batchRows / batches : null,
      queueDepth: after.queueDepth.get(model) ?? 0,
    });
  }
  return points;
}

/**
 * Prometheus's histogram_quantile: the bucket holding the q-th observation, and a linear
 * interpolation inside it (from 0 for the first bucket). `cumulative` is [upper bound, count of
 * observations <= it], ascending, ending with +Inf. Null without observations; in the +Inf
 * bucket, the highest finite bound.
 */
export function histogramQuantile(q: number, cumulative: ReadonlyArray<readonly [number, number]>): number | null {
  if (cumulative.length === 0) return null;
  const total = cumulative[cumulative.length - 1][1];
  if (!(total > 0)) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [upperBound, count] of cumulative) {
    if (count >= rank) {
      if (upperBound === Infinity) return lowerBound;
      if (count === lowerCount) return upperBound;
      return lowerBound + ((upperBound - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = upperBound;
    lowerCount = count;
  }
  return lowerBound;
}

/** One chart's data in uPlot's shape: x values (seconds), then one array per series, null for gaps. */
export type ChartData = [number[], ...(number | null)[][]];

/**
 * The last `capacity` points of every model, fed one scrape at a time. A model seen for the
 * first time gets nulls for the points before it, so all series stay aligned on one time axis.
 */
export class LiveSeries {
  private previous: Snapshot | undefined;
  readonly times: number[] = [];
  private readonly byModel = new Map<string, (ModelPoint | null)[]>();

  constructor(private readonly capacity: number) {}

  /** Adds one scrape; returns the new points (none for the first scrape, which only sets the baseline). */
  add(text: string, time: number): Map<string, ModelPoint> {
    const snapshot = snapshotOf(text, time);
    const before = this.previous;
    this.previous = snapshot;
    if (!before) return new Map();
    const points = pointsBetween(before, snapshot);
    if (points.size === 0 && this.byModel.size === 0) return points;
    this.times.push(time);
    for (const model of points.keys()) {
      if (!this.byModel.has(model)) this.byModel.set(model, new Array<ModelPoint | null>(this.times.length - 1).fill(null));
    }
    for (const [model, series] of this.byModel) series.push(points.get(model) ?? null);
    if (this.times.length > this.capacity) {
      this.times.shift();
      for (const series of this.byModel.values()) series.shift();
    }
    return points;
  }

  get models(): string[] {
    return [...this.byModel.keys()].sort();
  }

  /** The latest point of a model, if its last scrape had one. */
  latest(model: string): ModelPoint | null {
    const series = this.byModel.get(model);
    return series?.[series.length - 1] ?? null;
  }

  /** One series per model of one number of its points. */
  chart(pick: (point: ModelPoint) => number | null, models: readonly string[] = this.models): ChartData {
    return [
      [...this.times],
      ...models.map((model) => (this.byModel.get(model) ?? []).map((point) => (point === null ? null : pick(point)))),
    ];
  }
}
