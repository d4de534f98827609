import type { PredictionRecord } from '../serving/prediction-observers';
import type { SinkName } from '../config/prediction-log-target';

/** What a sink answers for a write that went through: records it refused for good (bad data), if any. */
export interface WriteResult {
  readonly rejected: number;
  readonly reason?: string;
}

/**
 * Where the log writer delivers records: a file, a database, an HTTP receiver. `write` rejects when
 * the records may be retried (the sink is down, slow, refused them for now); `close` releases what
 * the sink holds and makes anything still in flight fail at once.
 */
export interface LogSink {
  readonly name: SinkName;
  /** Most records per write. */
  readonly batchSize: number;
  /** Writes that may run at the same time (1 keeps the order of records, as a file wants). */
  readonly concurrency: number;
  write(records: readonly PredictionRecord[]): Promise<WriteResult | void>;
  close(): Promise<void>;
}
