import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';
import { beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { PINO_LOGGER } from '../src/observability/logger';
import { MetricsService } from '../src/observability/metrics.service';
import { LatencyLoggingInterceptor, MetricsInterceptor } from '../src/observability/request-interceptors';
import type { RequestContext } from '../src/request-context/request-context';
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
  /**
   * The handler that took it, as the interceptors record it (`Controller.method`), or undefined for a
   * request no handler took, which the request hook records instead.
   */
  handler: string | undefined;
}

/** Routed requests (answered by handlers or refused by their pipes), and requests Nest never routes or refuses before a handler. */
const CASES: Case[] = [
  { name: 'a prediction', method: 'POST', url: '/v1/models/iris/predict', payload: JSON.stringify({ instances: [IRIS_ROW, IRIS_ROW] }), status: 200, route: '/v1/models/:name/predict', handler: 'PredictController.predict' },
  { name: 'an invalid instance', method: 'POST', url: '/v1/models/iris/predict', payload: '{"instances":[[1,2]]}', status: 422, route: '/v1/models/:name/predict', handler: 'PredictController.predict' },
  { name: 'a /v2 inference', method: 'POST', url: '/v2/models/iris/infer', payload: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: IRIS_ROW }] }), status: 200, route: '/v2/models/:name/infer', handler: 'InferenceProtocolController.infer' },
  { name: 'a version refused by a pipe', method: 'POST', url: '/v2/models/iris/versions/01/infer', payload: '{}', status: 400, route: '/v2/models/:name/versions/:version/infer', handler: 'InferenceProtocolController.inferVersion' },
  { name: 'an unknown model', method: 'POST', url: '/v1/models/nope/predict', payload: JSON.stringify({ instances: [IRIS_ROW] }), status: 404, route: '/v1/models/:name/predict', handler: 'PredictController.predict' },
  { name: 'a liveness probe', method: 'GET', url: '/health/live', status: 200, route: '/health/live', handler: 'HealthController.live' },
  { name: 'an unknown URL', method: 'GET', url: '/no/such/route', status: 404, route: 'unmatched', handler: undefined },
  { name: 'a body that is not JSON', method: 'POST', url: '/v1/models/iris/predict', payload: '{"instances": [', status: 400, route: '/v1/models/:name/predict', handler: undefined },
  { name: 'an admin call without the token (refused by the guard)', method: 'POST', url: '/v1/admin/rescan', status: 401, route: '/v1/admin/rescan', handler: undefined },
  { name: 'a malformed URL (refused by the router)', method: 'GET', url: '/v1/models/%zz', status: 400, route: 'unmatched', handler: undefined },
  { name: 'the OpenAPI document (a Fastify route, not a Nest handler)', method: 'GET', url: '/docs-json', status: 200, route: '/docs-json', handler: undefined },
];

/**
 * Every request, whatever happens to it (answered by a handler, refused by a
 * pipe, a guard, the body parser or the router, or matching no route),
 * leaves exactly one log line and one duration observation: written by the
 * latency-logging and metrics interceptors when a handler took it (the line
 * names the handler), by the request hook otherwise.
 */
describe('one log line and one metric observation per request', () => {
  const started = useTestApp({ models: ['iris'], env: { LOG_LEVEL: 'info', ADMIN_TOKEN: TOKEN } });
  let info: MockInstance;
  let logged: MockInstance;
  let measured: MockInstance;

  beforeAll(() => {
    // Silenced and counted: the request lines are the calls with the message "request completed".
    info = vi.spyOn(started.app.get<Logger>(PINO_LOGGER), 'info').mockImplementation(() => undefined);
    logged = vi.spyOn(LatencyLoggingInterceptor.prototype, 'record');
    measured = vi.spyOn(MetricsInterceptor.prototype, 'record');
  });

  const recordedByInterceptors = (spy: MockInstance, requestId: string) =>
    spy.mock.calls.filter(([context]) => (context as RequestContext).requestId === requestId).length;

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
      const line = linesFor(requestId)[0][0] as Record<string, unknown>;
      expect(line).toMatchObject({ request_id: requestId, method: c.method, route: c.route, status_code: c.status });
      expect(line.handler).toBe(c.handler);
      // Interceptors for what a handler took, the hook for the rest: never both.
      expect(recordedByInterceptors(logged, requestId)).toBe(c.handler ? 1 : 0);
      expect(recordedByInterceptors(measured, requestId)).toBe(c.handler ? 1 : 0);
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
    expect(linesFor('observability-context')[0][0]).toMatchObject({
      handler: 'PredictController.predict',
      model: 'iris',
      version: 2,
      outcome: 'success',
      queue_ms: expect.any(Number),
      inference_ms: expect.any(Number),
    });
  });

  it('writes the fields the example line of docs/api.md ("Health, metrics, docs") shows for a /v2 inference', async () => {
    await started.app.inject({
      method: 'POST',
      url: '/v2/models/iris/infer',
      headers: { 'x-request-id': 'observability-readme', 'content-type': 'application/json' },
      payload: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: IRIS_ROW }] }),
    });
    await vi.waitFor(() => expect(linesFor('observability-readme')).toHaveLength(1));
    const page = readFileSync(path.resolve(__dirname, '../docs/api.md'), 'utf8');
    const example = /Each request also writes one JSON log line on stdout:\n\n```json\n([\s\S]*?)\n```/.exec(page);
    expect(example, 'docs/api.md shows a request log line').not.toBeNull();
    // pino adds level, time, the logger's bindings and msg to what the records give it.
    const pinoFields = ['level', 'time', 'service', 'process', 'msg'];
    const shown = Object.keys(JSON.parse(example![1].replace('"6f1c..."', '"x"'))).filter((key) => !pinoFields.includes(key));
    expect(Object.keys(linesFor('observability-readme')[0][0] as object).sort()).toEqual(shown.sort());
  });
});
