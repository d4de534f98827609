import { DatabaseError, Pool, type PoolClient } from 'pg';
import type { PredictionRecord } from '../../serving/prediction-observers';
import { type LogEntry, readableEntries } from '../log-entries';
import type { LogSink, WriteResult } from '../log-sink';

export const PREDICTION_LOG_TABLE = 'prediction_log';

/**
 * The table, created when missing: one row per instance, with the file sink's names. The advisory
 * lock serialises the creation between the HTTP processes and pods that start together (two
 * concurrent CREATE TABLE IF NOT EXISTS can still collide on the catalog).
 */
export const CREATE_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS ${PREDICTION_LOG_TABLE} (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "timestamp" timestamptz NOT NULL,
  request_id  text,
  trace_id    text,
  model       text NOT NULL,
  version     integer NOT NULL,
  protocol    text NOT NULL,
  instance    integer NOT NULL,
  inputs      jsonb NOT NULL,
  outputs     jsonb NOT NULL,
  latency_ms  double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS ${PREDICTION_LOG_TABLE}_timestamp ON ${PREDICTION_LOG_TABLE} USING brin ("timestamp");
CREATE INDEX IF NOT EXISTS ${PREDICTION_LOG_TABLE}_request_id ON ${PREDICTION_LOG_TABLE} (request_id);
`;

/** With PREDICT_AUTH on: who called, in a column added to the table (new or not) when missing. */
export const ADD_CALLER_SQL = `ALTER TABLE ${PREDICTION_LOG_TABLE} ADD COLUMN IF NOT EXISTS caller text`;

/** pg_advisory_xact_lock key: any constant shared by every writer of the table. */
const CREATE_LOCK_KEY = 461_837_201;

/** Shadow versions' answers (shadow/), in two columns a table gets, new or not, when the first one is written. */
export const ADD_SHADOW_SQL = `ALTER TABLE ${PREDICTION_LOG_TABLE} ADD COLUMN IF NOT EXISTS shadow boolean NOT NULL DEFAULT false, ADD COLUMN IF NOT EXISTS serving_version integer`;

const BASE_COLUMNS = ['"timestamp"', 'request_id', 'trace_id', 'model', 'version', 'protocol', 'instance', 'inputs', 'outputs', 'latency_ms'];
const BASE_TYPES = ['timestamptz', 'text', 'text', 'text', 'integer', 'text', 'integer', 'jsonb', 'jsonb', 'float8'];

/**
 * Rows go in one statement per batch, whatever its size: each column as one array parameter,
 * spread into rows by unnest (no limit of 65535 parameters, one plan for every batch size).
 * The caller's column with PREDICT_AUTH on, the shadow's for a batch holding a shadow's answer.
 */
export function insertSql(withCaller: boolean, withShadow: boolean): string {
  const columns = [...BASE_COLUMNS, ...(withCaller ? ['caller'] : []), ...(withShadow ? ['shadow', 'serving_version'] : [])];
  const types = [...BASE_TYPES, ...(withCaller ? ['text'] : []), ...(withShadow ? ['boolean', 'integer'] : [])];
  return `
INSERT INTO ${PREDICTION_LOG_TABLE} (${columns.join(', ')})
SELECT * FROM unnest(${types.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})`;
}

/** Rows per INSERT: bounds one statement's size when requests carry many instances. */
const ROWS_PER_STATEMENT = 2_000;
const CONNECT_TIMEOUT_MS = 5_000;
/** A statement running longer is cancelled by the server; the client gives up a little later (a hung connection). */
const STATEMENT_TIMEOUT_MS = 10_000;
const QUERY_TIMEOUT_MS = 12_000;

/**
 * Batched inserts into PostgreSQL through pg's pool (one connection: the writer sends one batch at a
 * time). A batch is one transaction: on failure none of it is in the table and the writer retries
 * it. A batch PostgreSQL refuses for its data (SQLSTATE class 22, e.g. a \u0000 in a string
 * tensor, which jsonb cannot hold) is written record by record, and only the records it refuses are
 * dropped, so one bad record cannot block the log.
 */
export class PostgresSink implements LogSink {
  readonly name = 'postgres';
  readonly batchSize = 256;
  readonly concurrency = 1;
  private readonly pool: Pool;
  private tableReady = false;
  private shadowColumns = false;

  constructor(
    url: string,
    private readonly maxValueBytes: number,
    /** PREDICT_AUTH is on: rows name their caller (a column the table gets when it has none). */
    private readonly withCaller = false,
  ) {
    this.pool = new Pool({
      connectionString: url,
      max: 1,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      statement_timeout: STATEMENT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'onnx-model-server prediction log',
    });
    // An idle connection that breaks (server restart) emits here; the next write connects again.
    this.pool.on('error', () => undefined);
  }

  async write(records: readonly PredictionRecord[]): Promise<WriteResult | void> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      if (!this.tableReady) {
        await transaction(client, async () => {
          await client.query('SELECT pg_advisory_xact_lock($1)', [CREATE_LOCK_KEY]);
          await client.query(CREATE_TABLE_SQL);
          if (this.withCaller) await client.query(ADD_CALLER_SQL);
        });
        this.tableReady = true;
      }
      if (!this.shadowColumns && records.some((record) => record.shadowOf !== undefined)) {
        await client.query(ADD_SHADOW_SQL);
        this.shadowColumns = true;
      }
      const readable = readableEntries(records, this.maxValueBytes);
      let rejected = readable.unreadable;
      let reason = readable.reason;
      try {
        await transaction(client, () => insert(client, this.withCaller, readable.entries.flat()));
        return rejected > 0 ? { rejected, reason } : undefined;
      } catch (error) {
        if (!isDataError(error)) throw error;
      }
      for (const entries of readable.entries) {
        try {
          await transaction(client, () => insert(client, this.withCaller, entries));
        } catch (error) {
          if (!isDataError(error)) throw error;
          rejected++;
          reason = `PostgreSQL refused a record: ${(error as Error).message}`;
        }
      }
      return { rejected, reason };
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') this.tableReady = this.shadowColumns = false;
      // Anything but an answer from the server (a timeout, a reset) leaves the connection in doubt: drop it.
      if (!isServerError(error)) broken = error as Error;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function transaction(client: PoolClient, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function insert(client: PoolClient, withCaller: boolean, entries: readonly LogEntry[]): Promise<void> {
  for (let start = 0; start < entries.length; start += ROWS_PER_STATEMENT) {
    const rows = entries.slice(start, start + ROWS_PER_STATEMENT);
    const withShadow = rows.some((entry) => entry.shadow);
    const columns = columnsOf(rows);
    if (withCaller) columns.push(rows.map((entry) => entry.caller ?? null));
    if (withShadow) columns.push(rows.map((entry) => entry.shadow === true), rows.map((entry) => entry.serving_version ?? null));
    await client.query(insertSql(withCaller, withShadow), columns);
  }
}

/** The rows as the ten column arrays every INSERT begins with (insertSql). */
export function columnsOf(entries: readonly LogEntry[]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 10 }, () => []);
  for (const entry of entries) {
    columns[0].push(entry.timestamp);
    columns[1].push(entry.request_id);
    columns[2].push(entry.trace_id);
    columns[3].push(entry.model);
    columns[4].push(entry.version);
    columns[5].push(entry.protocol);
    columns[6].push(entry.instance);
    columns[7].push(JSON.stringify(entry.inputs));
    columns[8].push(JSON.stringify(entry.outputs));
    columns[9].push(entry.latency_ms);
  }
  return columns;
}

function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('22');
}

/** An error PostgreSQL itself answered (not a lost connection or a timeout): the connection is still sound. */
function isServerError(error: unknown): boolean {
  return error instanceof DatabaseError && !error.code?.startsWith('08') && error.code !== '57P01';
}
