import { type Aggregator, Counter, Gauge, type Registry } from 'prom-client';

export interface ScrapedSeries<L extends string> {
  readonly type: 'counter' | 'gauge';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  /** How the primary merges the series across HTTP processes; summed when not said. */
  readonly aggregator?: Aggregator;
}

export type Emit<L extends string> = (labels: Readonly<Record<L, string>>, value: number) => void;

/**
 * A series whose values are read when Prometheus scrapes, from what the service holds anyway (the
 * model registry, the drift windows, a queue's length): each scrape sets them anew from `read`, so
 * the series of a model or version that is gone go with it. A counter read this way reports a total
 * its owner keeps (counted since the version loaded).
 */
export function registerScrapedSeries<L extends string>(registry: Registry, series: ScrapedSeries<L>, read: (emit: Emit<L>) => void): void {
  const { type, aggregator, ...named } = series;
  // prom-client takes an `aggregator: undefined` as given, not as its default.
  const config = { ...named, labelNames: [...series.labelNames], registers: [registry], ...(aggregator ? { aggregator } : {}) };
  if (type === 'gauge') {
    new Gauge<L>({
      ...config,
      collect() {
        this.reset();
        read((labels, value) => this.set(labels as Record<L, string>, value));
      },
    });
  } else {
    new Counter<L>({
      ...config,
      collect() {
        this.reset();
        read((labels, value) => this.inc(labels as Record<L, string>, value));
      },
    });
  }
}
