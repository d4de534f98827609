import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';
import { beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { PINO_LOGGER } from '../src/observability/logger';
import { MetricsService } from '../src/observability/metrics.service';
import { useTestApp } from './support/test-app';

const TOKEN = 'observability-token-0123456789';
const IRIS_ROW = [5.1, 3.5, 1.4, 0.2];

interface Case {
  name: string;
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  payload?: string;
  status: number;
  /** The route label of its metric: the route template, or "unmatched". */
  route: string;
}

/** Routed requests (answered by handlers or their pipes), and requests Nest never routes or refuses before a handler. */
const CASES: Case[] = [
  { name: 'a prediction', method: 'POST', url: '/v1/models/iris/predict', payload: JSON.stringify({ instances: [IRIS_ROW, IRIS_ROW] }), status: 200, route: '/v1/models/:name/predict' },
  { name: 'an invalid instance', method: 'POST', url: '/v1/models/iris/predict', payload: '{"instances":[[1,2]]}', status: 422, route: '/v1/models/:name/predict' },
  { name: 'a /v2 inference', method: 'POST', url: '/v2/models/iris/infer', payload: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: IRIS_ROW }] }), status: 200, route: '/v2/models/:name/infer' },
  { name: 'an unknown model', method: 'POST', url: '/v1/models/nope/predict', payload: JSON.stringify({ instances: [IRIS_ROW] }), status: 404, route: '/v1/models/:name/predict' },
  { name: 'an unknown URL', method: 'GET', url: '/no/such/route', status: 404, route: 'unmatched' },
  { name: 'a body that is not JSON', method: 'POST', url: '/v1/models/iris/predict', payload: '{"instances": [', status: 400, route: '/v1/models/:name/predict' },
  { name: 'an admin call without the token (refused by the guard)', method: 'POST', url: '/v1/admin/rescan', status: 401, route: '/v1/admin/rescan' },
  { name: 'a malformed URL (refused by the router)', method: 'GET', url: '/v1/models/%zz', status: 400, route: 'unmatched' },
  { name: 'a liveness probe', method: 'GET', url: '/health/live', status: 200, route: '/health/live' },
];

/**
 * Every request, whatever happens to it (answered by a handler, refused by a
 * pipe, a guard, the body parser or the router, or matching no route),
 * leaves exactly one log line and one duration observation.
 */
describe('one log line and one metric observation per request', () => {
  const started = useTestApp({ models: ['iris'], env: { LOG_LEVEL: 'info', ADMIN_TOKEN: TOKEN } });
  let info: MockInstance;

  beforeAll(() => {
    // Silenced and counted: the request lines are the calls with the message "request completed".
    info = vi.spyOn(started.app.get<Logger>(PINO_LOGGER), 'info').mockImplementation(() => undefined);
  });

  const linesFor = (requestId: string) =>
    info.mock.calls.filter(([line, message]) => message === 'request completed' && (line as { request_id?: string }).request_id === requestId);

  async function durationCount(method: string, route: string, status: number): Promise<number> {
    const histogram = started.app.get(MetricsService).registry.getSingleMetric('http_request_duration_seconds') as Histogram;
    const values = (await histogram.get()).values;
    return (
      values.find(
        (v) =>
          v.metricName === 'http_request_duration_seconds_count' &&
          v.labels.method === method &&
          v.labels.route === route &&
          v.labels.status_code === String(status),
      )?.value ?? 0
    );
  }

  for (const [index, c] of CASES.entries()) {
    it(c.name, async () => {
      const requestId = `observability-${index}`;
      const before = await durationCount(c.method, c.route, c.status);
      const response = await started.app.inject({
        method: c.method,
        url: c.url,
        headers: { 'x-request-id': requestId, ...(c.payload ? { 'content-type': 'application/json' } : {}), ...c.headers },
        ...(c.payload ? { payload: c.payload } : {}),
      });
      expect(response.statusCode, response.body).toBe(c.status);
      // The records are written once the response has been sent.
      await vi.waitFor(() => expect(linesFor(requestId)).toHaveLength(1));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(linesFor(requestId)).toHaveLength(1);
      expect(await durationCount(c.method, c.route, c.status)).toBe(before + 1);
      expect(linesFor(requestId)[0][0]).toMatchObject({ request_id: requestId, method: c.method, route: c.route, status_code: c.status });
    });
  }

  it('names the model, the version that answered and the outcome', async () => {
    await started.app.inject({
      method: 'POST',
      url: '/v1/models/iris/predict',
      headers: { 'x-request-id': 'observability-context', 'content-type': 'application/json', 'x-model-version': '2' },
      payload: JSON.stringify({ instances: [IRIS_ROW, IRIS_ROW, IRIS_ROW] }),
    });
    await vi.waitFor(() => expect(linesFor('observability-context')).toHaveLength(1));
    expect(linesFor('observability-context')[0][0]).toMatchObject({ model: 'iris', version: 2, outcome: 'success' });
  });
});
