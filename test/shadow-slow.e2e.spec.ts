import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ELEM, identityModel, slowIdentityModel, writeModel } from './support/onnx-models';
import { scrape, seriesSum, shadowIdle } from './support/shadow';
import { useTestApp } from './support/test-app';

/**
 * A deliberately slow shadow version (a large matrix product on every run, whatever the input: about
 * half a second here, hundreds of times the served version's time) with a queue of 2: the served
 * answers come back while the shadow works, every sampled request beyond the queue is dropped and
 * counted, and the clients' latency stays that of the served version. Timings are compared with
 * each other, never with fixed numbers.
 */

const TOKEN = 'shadow-slow-admin-token';
const CLIENT_REQUESTS = 20;
const QUEUE_SIZE = 2;

const predict = (i: number) => ({
  method: 'POST' as const,
  url: '/v1/models/echo/predict',
  headers: { 'content-type': 'application/json', 'x-request-id': `slow-${i}` },
  payload: JSON.stringify({ instances: [[i, 1, 2, 3]] }),
});

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

describe('a slow shadow version with its queue full', () => {
  const server = useTestApp({
    // Every model in the worker threads (2): the hybrid engine would otherwise time ten full batches of the slow one at load.
    env: { ADMIN_TOKEN: TOKEN, INLINE_INFERENCE_MAX_US: '0', INFERENCE_WORKERS: '2', MODEL_POLL_INTERVAL_MS: '0' },
    prepare: async (dir) => {
      await writeModel(dir, 'echo', 1, identityModel(ELEM.FLOAT, ['N', 4]));
      await writeModel(dir, 'echo', 2, slowIdentityModel(2500, 1000));
      await writeFile(path.join(dir, 'echo', 'config.json'), JSON.stringify({ default_version: 1 }));
    },
  });

  const setShadow = (shadow: object | null) =>
    server.app.inject({
      method: 'PUT',
      url: '/v1/admin/models/echo/config',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ shadow }),
    });

  /** Sends the client requests one after the other; the latency of each, in ms. */
  async function clientLatencies(): Promise<number[]> {
    const latencies: number[] = [];
    for (let i = 0; i < CLIENT_REQUESTS; i++) {
      const started = performance.now();
      const response = await server.app.inject(predict(i));
      latencies.push(performance.now() - started);
      expect(response.statusCode).toBe(200);
      expect(response.json().predictions[0].outputs.y).toEqual([i, 1, 2, 3]);
    }
    return latencies;
  }

  it('answers every client while the shadow works, drops what the queue cannot hold, and counts it', async () => {
    // Warm both paths, then the served version alone, with no shadow.
    await clientLatencies();
    const off = await clientLatencies();

    const configured = await setShadow({ version: 2, sample: 1, queue_size: QUEUE_SIZE });
    expect(configured.statusCode).toBe(200);
    expect(configured.json().shadow).toMatchObject({ version: 2, sample: 1 });

    const on = await clientLatencies();
    // Every client has its answer, and the shadow has not finished its first run: no client waited for it.
    const during = (await server.app.inject({ method: 'GET', url: '/v1/models/echo/shadow' })).json();
    expect(during.requests).toMatchObject({ compared: 0, dropped: CLIENT_REQUESTS - 1 - QUEUE_SIZE });
    expect(seriesSum(await scrape(server.app), 'model_shadow_queued', { model: 'echo' })).toBe(1 + QUEUE_SIZE);

    await shadowIdle(server.app);
    const after = (await server.app.inject({ method: 'GET', url: '/v1/models/echo/shadow' })).json();
    expect(after.requests).toEqual({ compared: 1 + QUEUE_SIZE, incomparable: 0, failed: 0, unavailable: 0, dropped: CLIENT_REQUESTS - 1 - QUEUE_SIZE });
    // The slow version computes the same answer: compared, with no difference.
    expect(after.comparisons[0].outputs.y).toMatchObject({ rows: 1 + QUEUE_SIZE, max_absolute: 0, max_relative: 0 });
    const metrics = await scrape(server.app);
    expect(seriesSum(metrics, 'model_shadow_requests_total', { model: 'echo', outcome: 'dropped' })).toBe(CLIENT_REQUESTS - 1 - QUEUE_SIZE);

    // The served version alone again, so that a change of the machine's load between the rounds shows.
    expect((await setShadow(null)).statusCode).toBe(200);
    const offAgain = await clientLatencies();

    // Relative timings only: each shadow run took longer than any client's whole request, and the clients'
    // median latency with the shadow busy stays within a generous factor of the one without.
    const shadowRunMs = (1000 * seriesSum(metrics, 'model_shadow_duration_seconds_sum', { model: 'echo' })) / (1 + QUEUE_SIZE);
    expect(Math.max(...on)).toBeLessThan(shadowRunMs);
    expect(median(on)).toBeLessThan(4 * Math.max(median(off), median(offAgain)));
  });
});
