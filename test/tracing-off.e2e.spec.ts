import type { Logger } from 'pino';
import { beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { PINO_LOGGER } from '../src/observability/logger';
import { Tracing } from '../src/observability/tracing';
import { PredictionObservers, type PredictionRecord } from '../src/serving/prediction-observers';
import { useTestApp } from './support/test-app';

const IRIS_ROW = [5.1, 3.5, 1.4, 0.2];
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

/** OpenTelemetry packages that only tracing loads (the API alone may come with other packages, prom-client's exemplars). */
const SDK_PACKAGES = /[\\/]@opentelemetry[\\/](sdk-node|sdk-trace|exporter-trace-otlp-[a-z]+|otlp-exporter-base|resources)[\\/]/;

/**
 * Without OTEL_EXPORTER_OTLP_ENDPOINT the service neither loads the
 * OpenTelemetry SDK nor makes spans; a caller's traceparent still puts its
 * trace id in the log line and the prediction record. Its own file, so no
 * traced app in the same process has loaded the SDK before.
 */
describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  beforeAll(() => {
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  });
  const started = useTestApp({ models: ['iris'], env: { LOG_LEVEL: 'info' } });
  let info: MockInstance;
  const records: PredictionRecord[] = [];

  beforeAll(() => {
    info = vi.spyOn(started.app.get<Logger>(PINO_LOGGER), 'info').mockImplementation(() => undefined);
    started.app.get(PredictionObservers).add({ name: 'tracing-off-test', observe: (record) => records.push(record) });
  });

  const lineOf = (requestId: string) =>
    info.mock.calls.find(([line, message]) => message === 'request completed' && (line as { request_id?: string }).request_id === requestId)?.[0] as
      | Record<string, unknown>
      | undefined;

  async function predict(requestId: string, headers: Record<string, string> = {}) {
    const response = await started.app.inject({
      method: 'POST',
      url: '/v1/models/iris/predict',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...headers },
      payload: JSON.stringify({ instances: [IRIS_ROW] }),
    });
    expect(response.statusCode, response.body).toBe(200);
    await vi.waitFor(() => expect(lineOf(requestId)).toBeDefined());
    return response;
  }

  it('loads no OpenTelemetry SDK module and has no span starter', () => {
    expect(started.app.get(Tracing).enabled).toBe(false);
    expect(Object.keys(require.cache).filter((file) => SDK_PACKAGES.test(file))).toEqual([]);
  });

  it('puts a caller\'s trace id in the log line and the prediction record, and adds no header', async () => {
    const response = await predict('off-traced', { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` });
    expect(lineOf('off-traced')).toMatchObject({ trace_id: TRACE_ID });
    expect(records.find((record) => record.requestId === 'off-traced')?.traceId).toBe(TRACE_ID);
    expect(response.headers.traceparent).toBeUndefined();
  });

  it('leaves out the trace id when there is none, or the traceparent is not valid', async () => {
    await predict('off-untraced');
    await predict('off-invalid', { traceparent: `00-${TRACE_ID}-0000000000000000-01` });
    for (const requestId of ['off-untraced', 'off-invalid']) {
      expect(lineOf(requestId)).not.toHaveProperty('trace_id');
      expect(records.find((record) => record.requestId === requestId)?.traceId).toBeUndefined();
    }
    expect(Object.keys(require.cache).filter((file) => SDK_PACKAGES.test(file))).toEqual([]);
  });
});
