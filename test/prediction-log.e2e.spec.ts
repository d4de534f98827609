import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PredictionLog } from '../src/prediction-log/prediction-log.service';
import { sampler } from '../src/prediction-log/sampling';
import { startEventReceiver } from './support/event-receiver';
import { grpcClient } from './support/grpc-client';
import { irisPrediction, irisProbabilities } from './support/iris';
import { multipartBody } from './support/multipart';
import { flower, irisRequest, logLines, metricTotal, metricValue } from './support/prediction-log';
import { freePort, REPO_MODELS_DIR, startTestApp, useTestApp } from './support/test-app';

/**
 * The prediction log end to end, with the real app: every sampled prediction reaches its sink (a
 * rotated file, an HTTP CloudEvents receiver; PostgreSQL in prediction-log-postgres.e2e.spec.ts),
 * and a sink that is down or hangs costs no prediction anything.
 */

const logDirs: string[] = [];
async function logDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'prediction-log-'));
  logDirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of logDirs) await rm(dir, { recursive: true, force: true });
});

/** What /v1 answers for these flowers, computed by onnxruntime directly (iris version 1). */
async function expectedAnswer(rows: number[][]) {
  return { model: 'iris', version: 1, predictions: (await irisProbabilities(1, rows)).map(irisPrediction) };
}

describe('PREDICTION_LOG=file:... (JSON lines, rotated by size)', () => {
  const dir = path.join(tmpdir(), `prediction-log-file-${process.pid}-${Date.now()}`);
  logDirs.push(dir);
  const file = path.join(dir, 'predictions.jsonl');
  const server = useTestApp({
    models: ['iris', 'digits'],
    grpc: true,
    // 28 x 28 float32 images are 3136 bytes: over this limit, so logged as digests.
    env: { PREDICTION_LOG: `file:${file}?size=2K&keep=100`, PREDICTION_LOG_MAX_VALUE_BYTES: '1024' },
  });

  it('writes one line per instance with the request id, model, version, protocol, inputs and outputs, across rotations', async () => {
    const written = () => metricValue(server.app, 'prediction_log_records_total', 'sink="file"');
    const answers = new Map<string, any>();
    // Two rounds, each written (and so rotated: each is over 2 KiB) before the next begins.
    for (const round of [0, 1]) {
      for (let i = round * 10; i < round * 10 + 10; i++) {
        const response = await server.app.inject(irisRequest([flower(2 * i), flower(2 * i + 1)], `file-${i}`, i % 2 ? 'canary' : undefined));
        expect(response.statusCode).toBe(200);
        answers.set(`file-${i}`, response.json());
      }
      await vi.waitFor(async () => expect(await written()).toBe(10 * (round + 1)), { timeout: 10_000 });
    }

    const { files, entries } = await logLines(file);
    expect(files.length).toBeGreaterThanOrEqual(2);
    expect(files).toContain('predictions.jsonl.1');
    expect(entries).toHaveLength(40);
    for (let i = 0; i < 20; i++) {
      const mine = entries.filter((entry) => entry.request_id === `file-${i}`);
      expect(mine.map((entry) => entry.instance)).toEqual([0, 1]);
      const answer = answers.get(`file-${i}`);
      for (const entry of mine) {
        expect(entry).toMatchObject({ model: 'iris', version: i % 2 ? 2 : 1, protocol: 'http', trace_id: null });
        expect(entry.inputs.input).toEqual(flower(2 * i + entry.instance).map(Math.fround));
        expect(entry.outputs.probabilities).toEqual(Object.values(answer.predictions[entry.instance].probabilities));
        expect(entry.latency_ms).toBeGreaterThan(0);
        expect(Date.parse(entry.timestamp)).not.toBeNaN();
      }
    }
    expect(Object.keys(entries[0])).toEqual(['timestamp', 'request_id', 'trace_id', 'model', 'version', 'protocol', 'instance', 'inputs', 'outputs', 'latency_ms']);
  });

  it('logs /v2 and gRPC predictions too, with their protocol and request id', async () => {
    const before = (await logLines(file)).entries.length;
    const v2 = await server.app.inject({
      method: 'POST',
      url: '/v2/models/iris/infer',
      headers: { 'content-type': 'application/json', 'x-request-id': 'v2-1' },
      payload: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [4.9, 3.1, 1.5, 0.1] }] }),
    });
    expect(v2.statusCode).toBe(200);
    const client = grpcClient(server.grpcPort);
    try {
      await client.call(
        'ModelInfer',
        { model_name: 'iris', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [6.3, 3.3, 6, 2.5] } }] },
        { metadata: { 'x-request-id': 'grpc-1' } },
      );
    } finally {
      client.close();
    }
    await vi.waitFor(async () => expect((await logLines(file)).entries.length).toBe(before + 2), { timeout: 10_000 });
    const { entries } = await logLines(file);
    expect(entries.find((e) => e.request_id === 'v2-1')).toMatchObject({ protocol: 'http', instance: 0, inputs: { input: [4.9, 3.1, 1.5, 0.1].map(Math.fround) } });
    expect(entries.find((e) => e.request_id === 'grpc-1')).toMatchObject({ protocol: 'grpc', instance: 0, inputs: { input: [6.3, 3.3, 6, 2.5].map(Math.fround) } });
  });

  it('logs an uploaded image as its digest (over PREDICTION_LOG_MAX_VALUE_BYTES), and the small output as it is', async () => {
    const { payload, headers } = await multipartBody([{ filename: 'seven.png', data: await readFile('test/fixtures/digits/seven.png'), type: 'image/png' }]);
    const response = await server.app.inject({ method: 'POST', url: '/v1/models/digits/predict', payload, headers: { ...headers, 'x-request-id': 'image-1' } });
    expect(response.statusCode).toBe(200);
    await vi.waitFor(async () => expect((await logLines(file)).entries.some((e) => e.request_id === 'image-1')).toBe(true), { timeout: 10_000 });
    const entry = (await logLines(file)).entries.find((e) => e.request_id === 'image-1')!;
    const [input] = Object.values(entry.inputs) as any[];
    expect(input).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: 28 * 28 * 4, datatype: 'FP32', shape: [1, 28, 28] });
    expect(entry.outputs.probabilities).toHaveLength(10);
  });

  it('shows the sink in /health/ready details without judging readiness by it', async () => {
    const ready = await server.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().details.prediction_log).toMatchObject({ status: 'up', sink: 'file', target: file, state: 'ok', queued: 0, dropped: 0 });
  });
});

describe('PREDICTION_LOG=http://... (CloudEvents as KServe sends them)', () => {
  it('sends a request and a response event per prediction, binary mode, same ce-id, V2 bodies', async () => {
    const receiver = await startEventReceiver('ok');
    try {
      await withApp({ PREDICTION_LOG: receiver.url }, async (app) => {
        const rows = [flower(1), flower(2)];
        const response = await app.inject(irisRequest(rows, 'ce-1'));
        expect(response.statusCode).toBe(200);
        await vi.waitFor(() => expect(receiver.events).toHaveLength(2), { timeout: 10_000 });
        const [request, answer] = [...receiver.events].sort((a, b) => String(a.headers['ce-type']).localeCompare(String(b.headers['ce-type'])));
        for (const [event, type] of [
          [request, 'org.kubeflow.serving.inference.request'],
          [answer, 'org.kubeflow.serving.inference.response'],
        ] as const) {
          expect(event.headers).toMatchObject({
            'content-type': 'application/json',
            'ce-specversion': '1.0',
            'ce-id': 'ce-1',
            'ce-type': type,
            'ce-inferenceservicename': 'iris',
            'ce-modelversion': '1',
            'ce-source': expect.stringMatching(/^http:\/\//),
            'ce-time': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          });
        }
        expect(JSON.parse(request.body)).toEqual({
          id: 'ce-1',
          inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: rows.map((row) => row.map(Math.fround)) }],
        });
        const body = JSON.parse(answer.body);
        expect(body).toMatchObject({ model_name: 'iris', model_version: '1', id: 'ce-1' });
        const probabilities = body.outputs.find((o: any) => o.name === 'probabilities');
        expect(probabilities).toMatchObject({ datatype: 'FP32', shape: [2, 3] });
        expect(probabilities.data).toEqual(response.json().predictions.map((p: any) => Object.values(p.probabilities)));
        expect(await metricValue(app, 'prediction_log_records_total', 'sink="http"')).toBe(1);
      });
    } finally {
      await receiver.close();
    }
  });
});

describe('PREDICTION_LOG_SAMPLE', () => {
  it('logs nothing at 0', async () => {
    const file = path.join(await logDir(), 'p.jsonl');
    const app = await withApp({ PREDICTION_LOG: `file:${file}`, PREDICTION_LOG_SAMPLE: '0' }, async (app) => {
      for (let i = 0; i < 20; i++) expect((await app.inject(irisRequest([flower(i)], `zero-${i}`))).statusCode).toBe(200);
    });
    expect((await logLines(file)).entries).toEqual([]);
    expect(await metricTotal(app, 'prediction_log_records_total')).toBe(0);
    expect(await metricTotal(app, 'prediction_log_dropped_total')).toBe(0);
  });

  it('logs the requests whose id hashes below 0.5: about half, the same ones every run', async () => {
    const file = path.join(await logDir(), 'p.jsonl');
    const ids = Array.from({ length: 200 }, (_, i) => `half-${i}`);
    await withApp({ PREDICTION_LOG: `file:${file}`, PREDICTION_LOG_SAMPLE: '0.5' }, async (app) => {
      for (const id of ids) expect((await app.inject(irisRequest([flower(1)], id))).statusCode).toBe(200);
    });
    // Closing the app flushed the queue: the file holds every sampled prediction.
    const logged = (await logLines(file)).entries.map((entry) => entry.request_id);
    const expected = ids.filter(sampler(0.5));
    expect(logged.sort()).toEqual([...expected].sort());
    // The ids are fixed, so this count is too (85 of 200): about half, on every machine and run.
    expect(expected.length).toBeGreaterThan(70);
    expect(expected.length).toBeLessThan(130);
  });
});

describe('a sink that is down or hangs costs no prediction anything', () => {
  const rows = [flower(3), flower(4)];

  it('PostgreSQL refusing connections: every request answers 200 with the model answer; the records are dropped and counted; the pod stays ready', async () => {
    const expected = await expectedAnswer(rows);
    const port = await freePort();
    const app = await withApp(
      { PREDICTION_LOG: `postgres://logger:secret@127.0.0.1:${port}/nowhere`, PREDICTION_LOG_QUEUE_SIZE: '2' },
      async (app) => {
        for (let i = 0; i < 40; i++) {
          const response = await app.inject(irisRequest(rows, `down-${i}`));
          expect(response.statusCode).toBe(200);
          expect(response.json()).toMatchModelOutput(expected);
        }
        await vi.waitFor(
          async () => {
            const ready = await app.inject({ method: 'GET', url: '/health/ready' });
            expect(ready.statusCode).toBe(200);
            expect(ready.json().details.prediction_log).toMatchObject({
              status: 'up',
              sink: 'postgres',
              target: `postgres://logger@127.0.0.1:${port}/nowhere`,
              state: 'failing',
              last_error: expect.stringContaining('ECONNREFUSED'),
            });
            expect(ready.body).not.toContain('secret');
          },
          { timeout: 10_000 },
        );
        expect(await metricValue(app, 'prediction_log_dropped_total', 'reason="queue_full"')).toBeGreaterThan(0);
      },
    );
    // After close (its bounded flush): every record is accounted for, none written.
    expect(app.get(PredictionLog).status()).toMatchObject({ state: 'stopped', written: 0, dropped: 40, queued: 0 });
    expect(await metricTotal(app, 'prediction_log_dropped_total')).toBe(40);
    expect(await metricTotal(app, 'prediction_log_records_total')).toBe(0);
  });

  it('an HTTP receiver that never answers: requests complete while it holds every connection open, and nothing waits for it', async () => {
    const expected = await expectedAnswer(rows);
    const receiver = await startEventReceiver('hang');
    try {
      const app = await withApp({ PREDICTION_LOG: receiver.url, PREDICTION_LOG_QUEUE_SIZE: '2' }, async (app) => {
        expect((await app.inject(irisRequest(rows, 'hang-0'))).json()).toMatchModelOutput(expected);
        // The sink is now stuck on its first event...
        await vi.waitFor(() => expect(receiver.held).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
        // ...and 40 more predictions, sent all at once, answer in full while it stays stuck.
        const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => app.inject(irisRequest(rows, `hang-${i + 1}`))));
        for (const response of responses) {
          expect(response.statusCode).toBe(200);
          expect(response.json()).toMatchModelOutput(expected);
        }
        expect(receiver.answered).toBe(0);
        expect(receiver.held).toBeGreaterThanOrEqual(1);
        // Nothing is ever written here, so at most 8 records (one per connection) plus a queue of 2 are
        // held: every other one was dropped when it came.
        expect(await metricTotal(app, 'prediction_log_dropped_total')).toBeGreaterThanOrEqual(41 - 8 - 2);
        const ready = await app.inject({ method: 'GET', url: '/health/ready' });
        expect(ready.statusCode).toBe(200);
        expect(ready.json().details.prediction_log).toMatchObject({ status: 'up', sink: 'http', written: 0 });
      });
      // Closing gave up on the receiver after its bounded flush: all 41 are counted as dropped.
      expect(app.get(PredictionLog).status()).toMatchObject({ state: 'stopped', written: 0, dropped: 41, queued: 0 });
      expect(receiver.answered).toBe(0);
    } finally {
      await receiver.close();
    }
  });
});

/** An app for one test, serving the repository's models as they are; closed (with its log flushed) before this resolves. */
async function withApp(env: Record<string, string>, use: (app: NestFastifyApplication) => Promise<void>): Promise<NestFastifyApplication> {
  // SHUTDOWN_GRACE_MS bounds the flush on close (a quarter of it): a stuck sink costs the test half a second.
  const app = await startTestApp({ MODELS_DIR: REPO_MODELS_DIR, MODEL_POLL_INTERVAL_MS: '0', SHUTDOWN_GRACE_MS: '2000', ...env });
  try {
    await use(app);
  } finally {
    await app.close();
  }
  return app;
}
