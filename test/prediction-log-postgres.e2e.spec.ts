import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PredictionRecord } from '../src/serving/prediction-observers';
import { PostgresSink } from '../src/prediction-log/sinks/postgres-sink';
import { flower, irisRequest, metricValue } from './support/prediction-log';
import { REPO_MODELS_DIR, startTestApp } from './support/test-app';

/**
 * PREDICTION_LOG=postgres://... against a real PostgreSQL: PREDICTION_LOG_TEST_POSTGRES_URL names a
 * server where the test may create and drop databases (.ci/run starts a throwaway one). Without it,
 * or when it cannot be reached, these tests skip with the reason, unless
 * PREDICTION_LOG_TEST_POSTGRES_REQUIRED is set (as in CI): then they fail.
 */

const SERVER_URL = process.env.PREDICTION_LOG_TEST_POSTGRES_URL;
const REQUIRED = Boolean(process.env.PREDICTION_LOG_TEST_POSTGRES_REQUIRED);

async function unavailableBecause(): Promise<string | undefined> {
  if (!SERVER_URL) return 'PREDICTION_LOG_TEST_POSTGRES_URL is not set';
  const client = new Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `PostgreSQL at PREDICTION_LOG_TEST_POSTGRES_URL cannot be reached: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Why the tests cannot run here (probed once, before them), or undefined when they can. */
let unavailable: string | undefined = 'not probed yet';
beforeAll(async () => {
  unavailable = await unavailableBecause();
  if (unavailable && !REQUIRED) console.warn(`prediction log PostgreSQL tests skipped: ${unavailable} (.ci/run starts a throwaway server)`);
});

describe('PREDICTION_LOG_TEST_POSTGRES_REQUIRED', () => {
  it.runIf(REQUIRED)('a PostgreSQL server for the prediction log tests is reachable', () => {
    expect(unavailable).toBeUndefined();
  });
});

/** A fresh database on the test server, dropped at the end; its URL. */
function useDatabase(): { url: () => string; query: (sql: string, params?: unknown[]) => Promise<any[]> } {
  const name = `prediction_log_test_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  let client: Client | undefined;
  beforeAll(async () => {
    if (unavailable) return;
    const admin = new Client({ connectionString: SERVER_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    client = new Client({ connectionString: databaseUrl() });
    await client.connect();
  });
  afterAll(async () => {
    if (!client) return;
    await client.end();
    const admin = new Client({ connectionString: SERVER_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });
  function databaseUrl(): string {
    const url = new URL(SERVER_URL!);
    url.pathname = `/${name}`;
    return url.toString();
  }
  return { url: databaseUrl, query: async (sql, params) => (await client!.query(sql, params)).rows };
}

async function withApp(env: Record<string, string>, use: (app: NestFastifyApplication) => Promise<void>): Promise<void> {
  const app = await startTestApp({ MODELS_DIR: REPO_MODELS_DIR, MODEL_POLL_INTERVAL_MS: '0', ...env });
  try {
    await use(app);
  } finally {
    await app.close();
  }
}

describe('PREDICTION_LOG=postgres://... (a real PostgreSQL)', () => {
  const db = useDatabase();
  /** No table yet: the two writers of the burst test both find it missing. */
  const fresh = useDatabase();

  it('creates the table and inserts one row per instance with model, version, request id, inputs and outputs', async (ctx) => {
    ctx.skip(unavailable !== undefined, unavailable);
    await withApp({ PREDICTION_LOG: db.url() }, async (app) => {
      const answers = new Map<string, any>();
      for (let i = 0; i < 20; i++) {
        const response = await app.inject(irisRequest([flower(2 * i), flower(2 * i + 1)], `pg-${i}`, i % 2 ? '2' : undefined));
        expect(response.statusCode).toBe(200);
        answers.set(`pg-${i}`, response.json());
      }
      await vi.waitFor(async () => expect(await metricValue(app, 'prediction_log_records_total', 'sink="postgres"')).toBe(20), { timeout: 15_000 });

      const rows = await db.query('SELECT * FROM prediction_log ORDER BY request_id, instance');
      expect(rows).toHaveLength(40);
      for (let i = 0; i < 20; i++) {
        const mine = rows.filter((row) => row.request_id === `pg-${i}`);
        expect(mine.map((row) => row.instance)).toEqual([0, 1]);
        for (const row of mine) {
          expect(row).toMatchObject({ model: 'iris', version: i % 2 ? 2 : 1, protocol: 'http', trace_id: null });
          expect(row.timestamp).toBeInstanceOf(Date);
          expect(row.latency_ms).toBeGreaterThan(0);
          expect(row.inputs).toEqual({ input: flower(2 * i + row.instance).map(Math.fround) });
          expect(row.outputs.probabilities).toEqual(Object.values(answers.get(`pg-${i}`).predictions[row.instance].probabilities));
        }
      }
      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.json().details.prediction_log).toMatchObject({ status: 'up', sink: 'postgres', state: 'ok', written: 20, dropped: 0 });
    });

    const columns = await db.query(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'prediction_log' ORDER BY ordinal_position",
    );
    expect(columns.map((c) => [c.column_name, c.data_type])).toEqual([
      ['id', 'bigint'],
      ['timestamp', 'timestamp with time zone'],
      ['request_id', 'text'],
      ['trace_id', 'text'],
      ['model', 'text'],
      ['version', 'integer'],
      ['protocol', 'text'],
      ['instance', 'integer'],
      ['inputs', 'jsonb'],
      ['outputs', 'jsonb'],
      ['latency_ms', 'double precision'],
    ]);
  });

  it('takes bursts in batched inserts; writers starting together (HTTP processes, pods) create the table once and share it', async (ctx) => {
    ctx.skip(unavailable !== undefined, unavailable);
    const apps = await Promise.all([0, 1].map(() => startTestApp({ MODELS_DIR: REPO_MODELS_DIR, MODEL_POLL_INTERVAL_MS: '0', PREDICTION_LOG: fresh.url() })));
    try {
      await Promise.all(
        apps.map((app, a) => Promise.all(Array.from({ length: 150 }, (_, i) => app.inject(irisRequest([flower(i)], `burst-${a}-${i}`))))),
      );
    } finally {
      // Closing flushes what is still queued.
      await Promise.all(apps.map((app) => app.close()));
    }
    const [{ count, distinct }] = await fresh.query('SELECT count(*)::int AS count, count(DISTINCT request_id)::int AS distinct FROM prediction_log');
    expect([count, distinct]).toEqual([300, 300]);
  });

  it('drops only a record PostgreSQL refuses for its data (a NUL in a string), writing the rest of its batch', async (ctx) => {
    ctx.skip(unavailable !== undefined, unavailable);
    const sink = new PostgresSink(db.url(), 4096);
    const record = (requestId: string, text: string): PredictionRecord => ({
      model: 'echo',
      version: 1,
      protocol: 'http',
      requestId,
      startedAt: Date.now(),
      latencyMs: 1,
      rows: 1,
      inputs: { text: { type: 'string', dims: [1], data: [text] } },
      outputs: { text: { type: 'string', dims: [1], data: [text] } },
    });
    try {
      const result = await sink.write([record('nul-good-1', 'fine'), record('nul-bad', 'a\u0000b'), record('nul-good-2', 'also fine')]);
      expect(result).toMatchObject({ rejected: 1, reason: expect.stringContaining('PostgreSQL refused a record') });
    } finally {
      await sink.close();
    }
    const rows = await db.query("SELECT request_id, inputs FROM prediction_log WHERE model = 'echo' ORDER BY request_id");
    expect(rows).toEqual([
      { request_id: 'nul-good-1', inputs: { text: 'fine' } },
      { request_id: 'nul-good-2', inputs: { text: 'also fine' } },
    ]);
  });

  it("writes a shadow version's answers marked, in two columns the table gets with the first one", async (ctx) => {
    ctx.skip(unavailable !== undefined, unavailable);
    const sink = new PostgresSink(db.url(), 4096);
    const record = (requestId: string, version: number, shadowOf?: number): PredictionRecord => ({
      model: 'shadowed',
      version,
      protocol: 'http',
      requestId,
      startedAt: Date.now(),
      latencyMs: 1,
      rows: 1,
      inputs: { x: { type: 'float32', dims: [1, 1], data: Float32Array.from([1]) } },
      outputs: { y: { type: 'float32', dims: [1, 1], data: Float32Array.from([version]) } },
      ...(shadowOf !== undefined ? { shadowOf } : {}),
    });
    try {
      await sink.write([record('s-1', 1)]);
      await sink.write([record('s-1', 2, 1), record('s-2', 1)]);
    } finally {
      await sink.close();
    }
    const rows = await db.query("SELECT request_id, version, shadow, serving_version, outputs FROM prediction_log WHERE model = 'shadowed' ORDER BY request_id, shadow");
    expect(rows).toEqual([
      { request_id: 's-1', version: 1, shadow: false, serving_version: null, outputs: { y: [1] } },
      { request_id: 's-1', version: 2, shadow: true, serving_version: 1, outputs: { y: [2] } },
      { request_id: 's-2', version: 1, shadow: false, serving_version: null, outputs: { y: [1] } },
    ]);
  });
});
