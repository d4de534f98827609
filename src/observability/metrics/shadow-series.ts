import type { Registry } from 'prom-client';
import { BoundCounter, BoundHistogram } from './bound-metrics';
import { registerScrapedSeries } from './scraped-series';

/** The versions of one comparison: the one that answered the client and the one that shadowed it. */
export interface ShadowPairLabels {
  readonly model: string;
  readonly serving_version: string;
  /** A version number, or the configured label while it names no version. */
  readonly shadow_version: string;
}

type PairLabel = keyof ShadowPairLabels;

/** Differences span probabilities (1e-7 apart between two builds) to regression outputs in their own units. */
const DIFFERENCE_BUCKETS = [1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 10, 100, 1000];
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The shadow versions' series (shadow/): sampled requests by outcome, agreements of the top-1 class
 * and of the top-k set in rows, the differences per output and row, and how long the shadow's runs
 * took, per model and pair of serving and shadow version (versions come from config, never from
 * clients). A pair's outcomes and agreements start at 0 when it is first seen, so rate() sees their
 * first increase. Counted since the process started, whatever the config: the report
 * (GET /v1/models/{name}/shadow) counts since the shadow config in force applied.
 */
export class ShadowSeries {
  private readonly requests: BoundCounter<PairLabel | 'outcome'>;
  private readonly agreements: BoundCounter<PairLabel | 'kind' | 'result'>;
  private readonly differences: BoundHistogram<PairLabel | 'output' | 'measure'>;
  private readonly duration: BoundHistogram<PairLabel>;
  /** Pairs whose outcomes exist (at 0 or more). */
  private readonly seen = new Set<string>();

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

  outcome(pair: ShadowPairLabels, outcome: string): void {
    this.started(pair);
    this.requests.labels({ ...pair, outcome }).inc();
  }

  agreement(pair: ShadowPairLabels, kind: 'top1' | 'topk', agree: number, total: number): void {
    this.agreements.labels({ ...pair, kind, result: 'agree' }).inc(agree);
    this.agreements.labels({ ...pair, kind, result: 'disagree' }).inc(total - agree);
  }

  difference(pair: ShadowPairLabels, output: string, absolute: number, relative: number): void {
    this.differences.labels({ ...pair, output, measure: 'absolute' }).observe(absolute);
    this.differences.labels({ ...pair, output, measure: 'relative' }).observe(relative);
  }

  ran(pair: ShadowPairLabels, seconds: number): void {
    this.duration.labels(pair).observe(seconds);
  }

  /** Every outcome of a pair at 0 from its first sampled request on. */
  private started(pair: ShadowPairLabels): void {
    const key = `${pair.model}\u0000${pair.serving_version}\u0000${pair.shadow_version}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    for (const outcome of this.outcomes) this.requests.labels({ ...pair, outcome });
  }
}
