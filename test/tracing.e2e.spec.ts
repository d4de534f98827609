import type { Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { RequestContext } from '../src/request-context/request-context';
import { PINO_LOGGER } from '../src/observability/logger';
import { traceHeadersFor } from '../src/observability/w3c-trace-context';
import { ModelRunner } from '../src/serving/model-runner';
import { PredictionObservers, type PredictionRecord } from '../src/serving/prediction-observers';
import packageJson from '../package.json';
import { grpcClient, type GrpcTestClient } from './support/grpc-client';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver';
import { useTestApp, type TestApp } from './support/test-app';

const IRIS_ROW = [5.1, 3.5, 1.4, 0.2];
const SERVER = 2;
const INTERNAL = 1;
const ERROR = 2;

const traceparent = (traceId: string, parentId: string) => `00-${traceId}-${parentId}-01`;

/**
 * The OTEL_* variables a deployment would set, pointing at a receiver the
 * test runs; set before the app starts (so each describe's hooks must come
 * before its useTestApp) and removed after it has closed.
 */
function useOtlpReceiver(): { readonly receiver: OtlpReceiver } {
  const variables = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_BSP_SCHEDULE_DELAY'];
  let receiver: OtlpReceiver | undefined;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint;
    process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL = 'http/json';
    // Export every 50 ms rather than every 5 s.
    process.env.OTEL_BSP_SCHEDULE_DELAY = '50';
  });
  afterAll(async () => {
    for (const name of variables) delete process.env[name];
    await receiver?.close();
  });
  return {
    get receiver() {
      if (!receiver) throw new Error('the receiver is read before beforeAll ran');
      return receiver;
    },
  };
}

/** The spans of one trace, once at least `count` of them have arrived. */
async function spansOf(receiver: OtlpReceiver, traceId: string, count: number): Promise<ReceivedSpan[]> {
  await vi.waitFor(() => expect(receiver.spans.filter((span) => span.traceId === traceId).length).toBeGreaterThanOrEqual(count), { timeout: 10_000, interval: 25 });
  return receiver.spans.filter((span) => span.traceId === traceId);
}

function only(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const named = spans.filter((span) => span.name === name);
  expect(named.map((span) => span.name), `spans named ${name} among ${spans.map((span) => span.name).join(', ')}`).toEqual([name]);
  return named[0];
}

/** The queue and inference spans of a request: children of its server span, queue wait first, both within it. */
function expectQueueThenInference(spans: readonly ReceivedSpan[], server: ReceivedSpan): { queue: ReceivedSpan; inference: ReceivedSpan } {
  const queue = only(spans, 'queue');
  const inference = only(spans, 'inference');
  for (const child of [queue, inference]) {
    expect(child).toMatchObject({ traceId: server.traceId, parentSpanId: server.spanId, kind: INTERNAL, status: 0 });
    expect(child.startNs).toBeGreaterThanOrEqual(server.startNs);
    expect(child.endNs).toBeLessThanOrEqual(server.endNs);
  }
  expect(queue.endNs).toBeLessThanOrEqual(inference.startNs);
  return { queue, inference };
}

function spyOnLog(started: TestApp): MockInstance {
  return vi.spyOn(started.app.get<Logger>(PINO_LOGGER), 'info').mockImplementation(() => undefined);
}

function logLine(info: MockInstance, message: string, requestId: string): Record<string, unknown> {
  const lines = info.mock.calls.filter(([line, text]) => text === message && (line as { request_id?: string }).request_id === requestId);
  expect(lines).toHaveLength(1);
  return lines[0][0] as Record<string, unknown>;
}

describe('tracing on: spans over OTLP/HTTP, joined to the caller through W3C trace context', () => {
  const otlp = useOtlpReceiver();
  const started = useTestApp({ models: ['iris'], grpc: true, env: { LOG_LEVEL: 'info' } });
  let info: MockInstance;
  let client: GrpcTestClient;
  const records: PredictionRecord[] = [];

  beforeAll(() => {
    info = spyOnLog(started);
    started.app.get(PredictionObservers).add({ name: 'tracing-test', observe: (record) => records.push(record) });
    client = grpcClient(started.grpcPort);
  });
  afterAll(() => client?.close());

  it('/v1 predict: a server span under the caller\'s span, its queue wait and inference under it, its trace id in the log and the prediction record', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const run = vi.spyOn(started.app.get(ModelRunner), 'run');
    const response = await started.app.inject({
      method: 'POST',
      url: '/v1/models/iris/predict',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-v1', traceparent: traceparent(traceId, callerSpan), tracestate: 'vendor=abc' },
      payload: JSON.stringify({ instances: [IRIS_ROW, IRIS_ROW] }),
    });
    expect(response.statusCode, response.body).toBe(200);
    const version = Number(response.headers['x-model-version']);

    const spans = await spansOf(otlp.receiver, traceId, 3);
    const server = only(spans, 'POST /v1/models/:name/predict');
    expect(server).toMatchObject({ parentSpanId: callerSpan, kind: SERVER, status: 0 });
    expect(server.attributes).toEqual({
      'http.request.method': 'POST',
      'http.route': '/v1/models/:name/predict',
      'url.path': '/v1/models/iris/predict',
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'request.id': 'trace-v1',
      'model.name': 'iris',
      'model.version': version,
    });
    const { queue, inference } = expectQueueThenInference(spans, server);
    expect(queue.attributes).toEqual({ 'model.name': 'iris', 'model.version': version });
    expect(inference.attributes).toEqual({
      'model.name': 'iris',
      'model.version': version,
      'batch.size': 2,
      'batch.requests': 1,
      'inference.rows': 2,
      // iris is tiny: the hybrid engine runs it on the event loop.
      'inference.placement': 'inline',
    });
    expect(server.resource).toMatchObject({ 'service.name': 'onnx-model-server', 'service.version': packageJson.version });

    expect(logLine(info, 'request completed', 'trace-v1')).toMatchObject({ trace_id: traceId, status_code: 200 });
    expect(records.find((record) => record.requestId === 'trace-v1')?.traceId).toBe(traceId);
    // Calls made on the request's behalf (the prediction log's HTTP sink) name its server span as their parent.
    const context = run.mock.calls.at(-1)?.[3] as RequestContext | undefined;
    expect(traceHeadersFor(context)).toEqual({ traceparent: traceparent(traceId, server.spanId), tracestate: 'vendor=abc' });
    run.mockRestore();
  });

  it('/v2 infer without a traceparent: a new trace, whose id the log line and the prediction record carry', async () => {
    const response = await started.app.inject({
      method: 'POST',
      url: '/v2/models/iris/infer',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-v2' },
      payload: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: IRIS_ROW }] }),
    });
    expect(response.statusCode, response.body).toBe(200);
    const traceId = logLine(info, 'request completed', 'trace-v2').trace_id as string;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(records.find((record) => record.requestId === 'trace-v2')?.traceId).toBe(traceId);

    const spans = await spansOf(otlp.receiver, traceId, 3);
    const server = only(spans, 'POST /v2/models/:name/infer');
    expect(server).toMatchObject({ parentSpanId: '', kind: SERVER });
    expect(server.attributes).toMatchObject({ 'http.route': '/v2/models/:name/infer', 'http.response.status_code': 200, 'model.name': 'iris' });
    const { inference } = expectQueueThenInference(spans, server);
    expect(inference.attributes).toMatchObject({ 'batch.size': 1, 'inference.rows': 1 });
  });

  it('gRPC ModelInfer: a server span under the caller\'s span from the metadata, with queue and inference under it', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const callerSpan = 'b7ad6b7169203331';
    const response = await client.call(
      'ModelInfer',
      { model_name: 'iris', model_version: '', inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 4] }], raw_input_contents: [Buffer.from(Float32Array.from([...IRIS_ROW, ...IRIS_ROW, ...IRIS_ROW]).buffer)] },
      { metadata: { traceparent: traceparent(traceId, callerSpan), 'x-request-id': 'trace-grpc' } },
    );
    const version = Number(response.model_version);

    const spans = await spansOf(otlp.receiver, traceId, 3);
    const server = only(spans, 'inference.GRPCInferenceService/ModelInfer');
    expect(server).toMatchObject({ parentSpanId: callerSpan, kind: SERVER, status: 0 });
    expect(server.attributes).toEqual({
      'rpc.system': 'grpc',
      'rpc.service': 'inference.GRPCInferenceService',
      'rpc.method': 'ModelInfer',
      'rpc.grpc.status_code': 0,
      'request.id': 'trace-grpc',
      'model.name': 'iris',
      'model.version': version,
    });
    const { inference } = expectQueueThenInference(spans, server);
    expect(inference.attributes).toMatchObject({ 'batch.size': 3, 'inference.rows': 3, 'model.version': version });
    await vi.waitFor(() => logLine(info, 'grpc call completed', 'trace-grpc'));
    expect(logLine(info, 'grpc call completed', 'trace-grpc')).toMatchObject({ trace_id: traceId, method: 'ModelInfer' });
    expect(records.find((record) => record.requestId === 'trace-grpc')?.traceId).toBe(traceId);
  });

  it('a refusal is a span with its status code; a gRPC fault of the server is an error span', async () => {
    const traceId = 'a3ce929d0e0e47364bf92f3577b34da6';
    const response = await started.app.inject({
      method: 'POST',
      url: '/v1/models/nope/predict',
      headers: { 'content-type': 'application/json', traceparent: traceparent(traceId, '00f067aa0ba902b7') },
      payload: JSON.stringify({ instances: [IRIS_ROW] }),
    });
    expect(response.statusCode).toBe(404);
    const [server] = await spansOf(otlp.receiver, traceId, 1);
    expect(server.name).toBe('POST /v1/models/:name/predict');
    // A 4xx is the client's error, not the server span's (OpenTelemetry's HTTP conventions).
    expect(server.status).toBe(0);
    expect(server.attributes['http.response.status_code']).toBe(404);
    expect(server.attributes['model.name']).toBeUndefined();

    const grpcTraceId = 'e47364bf92f3577b34da6a3ce929d0e0';
    await expect(
      client.call('ModelInfer', { model_name: 'nope', inputs: [] }, { metadata: { traceparent: traceparent(grpcTraceId, '00f067aa0ba902b7') } }),
    ).rejects.toMatchObject({ code: 5 });
    const [grpcServer] = await spansOf(otlp.receiver, grpcTraceId, 1);
    expect(grpcServer.attributes['rpc.grpc.status_code']).toBe(5);
    expect(grpcServer.status).toBe(0);
  });

  it('health probes and the metrics scrape make no span, and their log lines still carry the caller\'s trace id', async () => {
    const untraced = '11111111111111111111111111111111';
    for (const url of ['/health/live', '/health/ready', '/v2/health/ready', '/metrics']) {
      const requestId = `probe-${url.replaceAll('/', '-')}`;
      const response = await started.app.inject({ method: 'GET', url, headers: { 'x-request-id': requestId, traceparent: traceparent(untraced, '00f067aa0ba902b7') } });
      expect(response.statusCode).toBe(200);
      await vi.waitFor(() => logLine(info, 'request completed', requestId));
      expect(logLine(info, 'request completed', requestId).trace_id).toBe(untraced);
    }
    // Spans are exported in the order they end: once a later request's span is in, the probes' would be too.
    const later = '22222222222222222222222222222222';
    await started.app.inject({ method: 'GET', url: '/v1/models', headers: { traceparent: traceparent(later, '00f067aa0ba902b7') } });
    await spansOf(otlp.receiver, later, 1);
    expect(otlp.receiver.spans.filter((span) => span.traceId === untraced)).toEqual([]);
    expect(otlp.receiver.refused).toEqual([]);
  });
});

describe('tracing on, inference in worker threads: each request of a merged batch gets its own spans', () => {
  const otlp = useOtlpReceiver();
  // Workers only, and a queue delay long enough for three requests sent together to share one batch.
  const started = useTestApp({ models: ['iris'], env: { INLINE_INFERENCE_MAX_US: '0', MAX_QUEUE_DELAY_US: '200000' } });

  it('names the batch size, the requests it merged, each request\'s rows and the worker placement', async () => {
    const traceIds = ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3'];
    const responses = await Promise.all(
      traceIds.map((traceId, index) =>
        started.app.inject({
          method: 'POST',
          url: '/v1/models/iris/predict',
          headers: { 'content-type': 'application/json', traceparent: traceparent(traceId, '00f067aa0ba902b7') },
          payload: JSON.stringify({ instances: Array.from({ length: index + 1 }, () => IRIS_ROW) }),
        }),
      ),
    );
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200, 200]);
    for (const [index, traceId] of traceIds.entries()) {
      const spans = await spansOf(otlp.receiver, traceId, 3);
      const server = only(spans, 'POST /v1/models/:name/predict');
      const { inference } = expectQueueThenInference(spans, server);
      expect(inference.attributes).toMatchObject({ 'batch.size': 6, 'batch.requests': 3, 'inference.rows': index + 1, 'inference.placement': 'worker' });
    }
  });
});
