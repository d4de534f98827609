import type { Registry } from 'prom-client';
import { BoundCounter, BoundHistogram } from './bound-metrics';
import { registerScrapedSeries } from './scraped-series';

type PairLabel = 'model' | 'serving_version' | 'shadow_version';
type Counted = ReturnType<BoundCounter<string>['labels']>;
type Observed = ReturnType<BoundHistogram<string>['labels']>;

/** Differences span probabilities (1e-7 apart between two builds) to regression outputs in their own units. */
const DIFFERENCE_BUCKETS = [1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 10, 100, 1000];
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The series of one model's serving version against one shadow version, each child bound once. */
export interface ShadowPairSeries {
  outcome(outcome: string): void;
  /** Compared rows of one kind (top1, topk): `agree` of `total` agreed. */
  agreement(kind: 'top1' | 'topk', agree: number, total: number): void;
  difference(output: string, absolute: number, relative: number): void;
  ran(seconds: number): void;
}

/**
 * The shadow versions' series (shadow/): sampled requests by outcome, agreements of the top-1 class
 * and of the top-k set in rows, the differences per output and row, and how long the shadow's runs
 * took, per model and pair of serving and shadow version (a version number, or the configured label
 * while it names none: labels come from config, never from clients). A pair's outcomes start at 0
 * when it is first seen, its agreements at its first comparison, so rate() sees their first increase.
 * Counted since the process started, whatever the config: the report (GET /v1/models/{name}/shadow)
 * counts since the shadow config in force applied.
 */
export class ShadowSeries {
  private readonly requests: BoundCounter<PairLabel | 'outcome'>;
  private readonly agreements: BoundCounter<PairLabel | 'kind' | 'result'>;
  private readonly differences: BoundHistogram<PairLabel | 'output' | 'measure'>;
  private readonly duration: BoundHistogram<PairLabel>;
  private readonly pairs = new Map<string, ShadowPairSeries>();

  constructor(
    registry: Registry,
    private readonly outcomes: readonly string[],
    queued: () => Iterable<{ model: string; queued: number }>,
  ) {
    this.requests = new BoundCounter(
      'model_shadow_requests_total',
      'Answered requests sampled for the shadow version, by outcome (compared, incomparable, failed, unavailable, dropped)',
      ['model', 'serving_version', 'shadow_version', 'outcome'],
      registry,
    );
    this.agreements = new BoundCounter(
      'model_shadow_agreements_total',
      'Compared rows by whether the shadow agrees with the served answer: kind top1 (class) or topk (set of the k best classes)',
      ['model', 'serving_version', 'shadow_version', 'kind', 'result'],
      registry,
    );
    this.differences = new BoundHistogram(
      'model_shadow_difference',
      "Per compared row and output: the largest absolute difference from the served answer, or that over the row's largest magnitude (relative)",
      ['model', 'serving_version', 'shadow_version', 'output', 'measure'],
      DIFFERENCE_BUCKETS,
      registry,
    );
    this.duration = new BoundHistogram(
      'model_shadow_duration_seconds',
      "Duration of the shadow version's run of a sampled request (its batcher's queue and inference), in seconds",
      ['model', 'serving_version', 'shadow_version'],
      DURATION_BUCKETS,
      registry,
    );
    registerScrapedSeries(
      registry,
      { type: 'gauge', name: 'model_shadow_queued', help: 'Sampled requests waiting for or running on the shadow version', labelNames: ['model'] },
      (emit) => {
        for (const { model, queued: count } of queued()) emit({ model }, count);
      },
    );
  }

  /** The series of one pair, made (every outcome at 0) the first time it is asked for. */
  pair(model: string, servingVersion: number, shadowVersion: string): ShadowPairSeries {
    const key = `${model}\u0000${servingVersion}\u0000${shadowVersion}`;
    let pair = this.pairs.get(key);
    if (!pair) {
      pair = this.bind({ model, serving_version: String(servingVersion), shadow_version: shadowVersion });
      this.pairs.set(key, pair);
    }
    return pair;
  }

  private bind(labels: Readonly<Record<PairLabel, string>>): ShadowPairSeries {
    const outcomes = new Map<string, Counted>(this.outcomes.map((outcome) => [outcome, this.requests.labels({ ...labels, outcome })]));
    const agreements = new Map<string, [agree: Counted, disagree: Counted]>();
    const differences = new Map<string, [absolute: Observed, relative: Observed]>();
    const duration = this.duration.labels(labels);
    return {
      outcome: (outcome) => (outcomes.get(outcome) ?? this.requests.labels({ ...labels, outcome })).inc(),
      agreement: (kind, agree, total) => {
        let counts = agreements.get(kind);
        if (!counts) {
          counts = [this.agreements.labels({ ...labels, kind, result: 'agree' }), this.agreements.labels({ ...labels, kind, result: 'disagree' })];
          agreements.set(kind, counts);
        }
        counts[0].inc(agree);
        counts[1].inc(total - agree);
      },
      difference: (output, absolute, relative) => {
        let observed = differences.get(output);
        if (!observed) {
          observed = [this.differences.labels({ ...labels, output, measure: 'absolute' }), this.differences.labels({ ...labels, output, measure: 'relative' })];
          differences.set(output, observed);
        }
        observed[0].observe(absolute);
        observed[1].observe(relative);
      },
      ran: (seconds) => duration.observe(seconds),
    };
  }
}
