import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { describe, expect, it } from 'vitest';
import { INFERENCE_ENGINE } from '../src/inference/engine-contracts';
import { byLabel, irisProbabilities } from './support/iris';
import { useTestApp, withTestApp } from './support/test-app';

/** Distinct flowers, so a row returned to the wrong caller would show. */
const flowers = Array.from({ length: 60 }, (_, i) => [4.3 + (i % 30) * 0.12, 2.0 + (i % 7) * 0.3, 1.0 + (i % 11) * 0.55, 0.1 + (i % 13) * 0.18]);

function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line ? Number(line.split(' ').at(-1)) : Number.NaN;
}

const predict = (app: NestFastifyApplication, rows: number[][]) =>
  app.inject({
    method: 'POST',
    url: '/v1/models/iris/predict',
    headers: { 'content-type': 'application/json', 'x-model-version': '2' },
    payload: JSON.stringify({ instances: rows }),
  });

describe('dynamic batching through the HTTP stack', () => {
  const server = useTestApp({ models: ['iris'], env: { INFERENCE_WORKERS: '1', MAX_BATCH_SIZE: '16' } });

  it('merges concurrent requests (batches above 1) and answers each caller with its own rows', async () => {
    const expected = await irisProbabilities(2, flowers);
    const responses = await Promise.all(flowers.map((row) => predict(server.app, [row])));
    expect(responses.map((response) => response.statusCode)).toEqual(flowers.map(() => 200));
    // Batched rows against one direct run of all 60: other batch sizes may round the last bits differently.
    expect(responses.map((response) => response.json().predictions[0].probabilities)).toMatchModelOutput(expected.map(byLabel));
    const metrics = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    const runs = metricValue(metrics, 'model_batch_size_count{model="iris",version="2"}');
    const rows = metricValue(metrics, 'model_batch_size_sum{model="iris",version="2"}');
    expect(rows).toBe(flowers.length);
    expect(runs).toBeLessThan(flowers.length);
    expect(metrics).toMatch(/model_queue_duration_seconds_count\{model="iris",version="2"\} 60/);
    expect(metrics).toMatch(/model_queue_depth\{model="iris",version="2"\} 0/);
    expect(metricValue(metrics, 'model_inference_duration_seconds_count{model="iris",version="2"}')).toBe(runs);
  });

  it('batches requests of several instances with single ones, each still getting exactly its rows', async () => {
    const groups = [flowers.slice(0, 3), flowers.slice(3, 4), flowers.slice(4, 9), flowers.slice(9, 10)];
    const expected = await irisProbabilities(2, flowers.slice(0, 10));
    const responses = await Promise.all(groups.map((rows) => predict(server.app, rows)));
    expect(responses.map((response) => response.json().predictions.length)).toEqual(groups.map((rows) => rows.length));
    const served = responses.flatMap((response) => response.json().predictions.map((p: { probabilities: Record<string, number> }) => p.probabilities));
    expect(served).toMatchModelOutput(expected.map(byLabel));
  });
});

describe('a full queue', () => {
  it('refuses the overflow at once with 503 and Retry-After, and answers everything it accepted correctly', async () => {
    await withTestApp({ models: ['iris'], env: { INFERENCE_WORKERS: '1', MAX_QUEUE_SIZE: '4', MAX_BATCH_SIZE: '2' } }, async ({ app }) => {
      const expected = await irisProbabilities(2, flowers);
      const responses = await Promise.all(flowers.map((row) => predict(app, [row])));
      const refused = responses.filter((r) => r.statusCode === 503);
      const accepted = responses.map((r, i) => ({ r, i })).filter(({ r }) => r.statusCode === 200);
      expect(refused.length).toBeGreaterThan(0);
      expect(accepted.length).toBeGreaterThan(0);
      expect(refused.length + accepted.length).toBe(flowers.length);
      for (const response of refused) {
        expect(response.headers['retry-after']).toBe('1');
        expect(response.json().message).toContain('MAX_QUEUE_SIZE');
      }
      expect(accepted.map(({ r }) => r.json().predictions[0].probabilities)).toMatchModelOutput(accepted.map(({ i }) => byLabel(expected[i])));
    });
  });

  it('drops work whose deadline passed before it could run', async () => {
    await withTestApp({ models: ['iris'], env: { MAX_INSTANCES: '100000', BODY_LIMIT_BYTES: '10000000' } }, async ({ app }) => {
      // Checking 50,000 instances takes far longer than the 1 ms this caller is willing to wait.
      const many = Array.from({ length: 50_000 }, (_, i) => flowers[i % flowers.length]);
      const response = await app.inject({
        method: 'POST',
        url: '/v1/models/iris/predict',
        headers: { 'content-type': 'application/json', 'x-request-timeout-ms': '1' },
        payload: JSON.stringify({ instances: many }),
      });
      expect(response.statusCode).toBe(503);
      expect(response.json().message).toContain('deadline passed');
      // The client chose the deadline: counted as rejected, not as a fault of the service.
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/model_predictions_total\{model="iris",version="1",outcome="rejected",protocol="http"\} 1/);
      expect(metrics).not.toMatch(/outcome="error"/);
      const bad = await app.inject({ method: 'POST', url: '/v1/models/iris/predict', headers: { 'content-type': 'application/json', 'x-request-timeout-ms': 'soon' }, payload: '{"instances":[[1,2,3,4]]}' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toContain('X-Request-Timeout-Ms');
    });
  });
});

describe('an inference worker that dies', () => {
  it('is replaced in-process with its sessions: requests keep getting answers and liveness holds', async () => {
    // iris is tiny enough to run on the event loop; INLINE_INFERENCE_MAX_US=0 keeps it in the worker.
    await withTestApp({ models: ['iris'], env: { INFERENCE_WORKERS: '1', INLINE_INFERENCE_MAX_US: '0' } }, async ({ app }) => {
      const pool = app.get<{ workers: { workers: Array<{ terminate(): Promise<number> }>; replacements: number } }>(INFERENCE_ENGINE).workers;
      const before = await predict(app, [flowers[0]]);
      await pool.workers[0].terminate();
      const v1 = await predict(app, [flowers[0]]);
      expect(v1.statusCode).toBe(200);
      expect(v1.json().predictions).toMatchModelOutput(before.json().predictions);
      const v2 = await app.inject({
        method: 'POST',
        url: '/v2/models/iris/infer',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: flowers[0] }] }),
      });
      expect(v2.statusCode).toBe(200);
      expect(pool.replacements).toBe(1);
      expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/v2/health/live' })).statusCode).toBe(200);
    });
  });
});
