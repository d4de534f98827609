import { Counter, type Registry } from 'prom-client';
import { registerScrapedSeries } from './scraped-series';

/** What the prediction log's writer reports to its series. */
export interface PredictionLogCounts {
  written(records: number): void;
  dropped(reason: string, records: number): void;
}

/**
 * The prediction log's series (registered only when PREDICTION_LOG is on): records written by its
 * sink, records dropped by reason, and what waits for the writer, read when Prometheus scrapes.
 * Every reason and the sink start at 0: a rate() over a series that appears only at the first drop misses it.
 */
export function registerPredictionLogSeries(
  registry: Registry,
  sink: string,
  dropReasons: readonly string[],
  queued: () => number,
): PredictionLogCounts {
  const written = new Counter({
    name: 'prediction_log_records_total',
    help: 'Predictions written to the prediction log, by sink (file, postgres, http)',
    labelNames: ['sink'] as const,
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'prediction_log_dropped_total',
    help: 'Sampled predictions the prediction log did not write, by reason (queue_full, sink_error, rejected, shutdown)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of dropReasons) dropped.inc({ reason }, 0);
  written.inc({ sink }, 0);
  registerScrapedSeries(
    registry,
    {
      type: 'gauge',
      name: 'prediction_log_queued',
      help: 'Sampled predictions waiting for the prediction log writer (queued or being written)',
      labelNames: [],
    },
    (emit) => emit({}, queued()),
  );
  return {
    written: (records) => written.inc({ sink }, records),
    dropped: (reason, records) => dropped.inc({ reason }, records),
  };
}
