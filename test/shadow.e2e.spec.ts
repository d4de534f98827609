import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { grpcClient } from './support/grpc-client';
import { irisProbabilities } from './support/iris';
import { flower, irisRequest, logLines, metricValue } from './support/prediction-log';
import { configureShadow, scrape, seriesSum, shadowIdle, topClasses } from './support/shadow';
import { useTestApp } from './support/test-app';

/**
 * Shadow versions end to end, with the real app and the bundled iris versions, which agree on some
 * flowers and not on others: every sampled request's answers compared, counted right, reported as the
 * metrics count them; nothing refused is ever shadowed.
 */

const IRIS_PAIR = { model: 'iris', serving_version: '1', shadow_version: '2' };

/** Pairs of flowers, each pair one request; flower() is spread so that the two versions disagree on some. */
const REQUESTS = Array.from({ length: 30 }, (_, i) => [flower(3 * i), flower(3 * i + 1)]);

/** What the two versions answer for these rows, per row: top-1 and top-2 agreement, and the largest |difference|. */
async function expectedComparison(rows: number[][]) {
  const [served, shadow] = await Promise.all([irisProbabilities(1, rows), irisProbabilities(2, rows)]);
  return rows.map((_, r) => ({
    top1: topClasses(served[r], 1)[0] === topClasses(shadow[r], 1)[0],
    top2: new Set([...topClasses(served[r], 2), ...topClasses(shadow[r], 2)]).size === 2,
    absolute: Math.max(...served[r].map((p, c) => Math.abs(p - shadow[r][c]))),
  }));
}

describe('a shadow (iris version 2 by its label "canary", every request sampled) of iris version 1', () => {
  const server = useTestApp({
    models: ['iris', 'digits'],
    grpc: true,
    prepare: (dir) => configureShadow(dir, 'iris', { version: 'canary', sample: 1 }),
  });

  it('counts top-1 and top-k agreement and the differences of every compared row exactly, in the report and the metrics', async () => {
    for (const [i, rows] of REQUESTS.entries()) {
      const response = await server.app.inject(irisRequest(rows, `agree-${i}`));
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-model-version']).toBe('1');
    }
    await shadowIdle(server.app);

    const expected = (await expectedComparison(REQUESTS.flat())).map((row, r) => ({ ...row, request: `agree-${Math.floor(r / 2)}`, instance: r % 2 }));
    const top1 = expected.filter((row) => row.top1).length;
    const top2 = expected.filter((row) => row.top2).length;
    // The fixture holds both kinds of flowers: otherwise the test would prove little.
    expect(top1).toBeGreaterThan(0);
    expect(top1).toBeLessThan(expected.length);

    const report = (await server.app.inject({ method: 'GET', url: '/v1/models/iris/shadow' })).json();
    expect(report).toMatchObject({
      model: 'iris',
      shadow: { version: 'canary', sample: 1, queue_size: 64 },
      shadow_version: 2,
      processes: 1,
      requests: { compared: REQUESTS.length, incomparable: 0, failed: 0, unavailable: 0, dropped: 0 },
      rows: expected.length,
      top1: { agree: top1, total: expected.length, rate: top1 / expected.length },
      topk: { agree: top2, total: expected.length, k: 2 },
    });
    expect(Date.parse(report.since)).not.toBeNaN();
    const [lo, hi] = report.top1.interval95;
    expect(lo).toBeLessThan(report.top1.rate);
    expect(hi).toBeGreaterThan(report.top1.rate);

    expect(report.comparisons).toHaveLength(1);
    const [pair] = report.comparisons;
    expect(pair).toMatchObject({ serving_version: 1, shadow_version: 2, rows: expected.length });
    const differences = pair.outputs.probabilities;
    const byAbsolute = [...expected].sort((a, b) => b.absolute - a.absolute);
    expect(differences.rows).toBe(expected.length);
    expect(differences.max_absolute).toBeCloseTo(byAbsolute[0].absolute, 6);
    expect(differences.mean_absolute).toBeCloseTo(expected.reduce((sum, row) => sum + row.absolute, 0) / expected.length, 6);
    expect(differences.largest).toHaveLength(10);
    expect(differences.largest.map((d: { request_id: string; instance: number }) => [d.request_id, d.instance])).toEqual(
      byAbsolute.slice(0, 10).map((row) => [row.request, row.instance]),
    );

    const metrics = await scrape(server.app);
    expect(seriesSum(metrics, 'model_shadow_requests_total', { ...IRIS_PAIR, outcome: 'compared' })).toBe(REQUESTS.length);
    expect(seriesSum(metrics, 'model_shadow_agreements_total', { ...IRIS_PAIR, kind: 'top1', result: 'agree' })).toBe(top1);
    expect(seriesSum(metrics, 'model_shadow_agreements_total', { ...IRIS_PAIR, kind: 'top1', result: 'disagree' })).toBe(expected.length - top1);
    expect(seriesSum(metrics, 'model_shadow_agreements_total', { ...IRIS_PAIR, kind: 'topk', result: 'agree' })).toBe(top2);
    expect(seriesSum(metrics, 'model_shadow_difference_count', { ...IRIS_PAIR, output: 'probabilities', measure: 'absolute' })).toBe(expected.length);
    expect(seriesSum(metrics, 'model_shadow_duration_seconds_count', IRIS_PAIR)).toBe(REQUESTS.length);
  });

  it('reports the figures the metrics count: every outcome, agreement and difference, summed', async () => {
    await server.app.inject({ ...irisRequest([flower(7)], 'v2-style'), url: '/v2/models/iris/infer', payload: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: flower(7) }] }) });
    await shadowIdle(server.app);
    const report = (await server.app.inject({ method: 'GET', url: '/v1/models/iris/shadow' })).json();
    const metrics = await scrape(server.app);
    for (const outcome of ['compared', 'incomparable', 'failed', 'unavailable', 'dropped']) {
      expect(seriesSum(metrics, 'model_shadow_requests_total', { model: 'iris', outcome }), outcome).toBe(report.requests[outcome]);
    }
    for (const kind of ['top1', 'topk'] as const) {
      expect(seriesSum(metrics, 'model_shadow_agreements_total', { model: 'iris', kind, result: 'agree' })).toBe(report[kind].agree);
      expect(seriesSum(metrics, 'model_shadow_agreements_total', { model: 'iris', kind })).toBe(report[kind].total);
    }
    const output = report.comparisons[0].outputs.probabilities;
    expect(seriesSum(metrics, 'model_shadow_difference_count', { model: 'iris', measure: 'absolute' })).toBe(output.rows);
    expect(seriesSum(metrics, 'model_shadow_difference_sum', { model: 'iris', measure: 'absolute' })).toBeCloseTo(output.mean_absolute * output.rows, 9);
    expect(seriesSum(metrics, 'model_shadow_difference_sum', { model: 'iris', measure: 'relative' })).toBeCloseTo(output.mean_relative * output.rows, 9);
    expect(seriesSum(metrics, 'model_shadow_queued', { model: 'iris' })).toBe(0);
  });

  it('shadows /v2 and gRPC requests too, and only after the answer: never a request the serving version refused', async () => {
    const before = (await server.app.inject({ method: 'GET', url: '/v1/models/iris/shadow' })).json();
    const client = grpcClient(server.grpcPort);
    try {
      const input = { name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: flower(11) } };
      await client.call('ModelInfer', { model_name: 'iris', inputs: [input] });
      // Refused: an unknown input, and an unknown version.
      await expect(client.call('ModelInfer', { model_name: 'iris', inputs: [{ ...input, name: 'nope' }] })).rejects.toMatchObject({ code: 3 });
      await expect(client.call('ModelInfer', { model_name: 'iris', model_version: '9', inputs: [input] })).rejects.toMatchObject({ code: 5 });
    } finally {
      client.close();
    }
    const refused = [
      irisRequest([[1, 2]], 'refused-shape'),
      { ...irisRequest([flower(1)], 'refused-version'), headers: { 'content-type': 'application/json', 'x-model-version': '9' } },
      { ...irisRequest([flower(1)], 'refused-header'), headers: { 'content-type': 'application/json', 'x-model-version': ' 1' } },
      { ...irisRequest([flower(1)], 'refused-body'), payload: '{"instances": [' },
    ];
    for (const request of refused) expect((await server.app.inject(request)).statusCode).toBeGreaterThanOrEqual(400);
    // Served by the shadow version itself: nothing to compare it with.
    expect((await server.app.inject(irisRequest([flower(1)], 'served-by-2', '2'))).statusCode).toBe(200);
    await shadowIdle(server.app);

    const after = (await server.app.inject({ method: 'GET', url: '/v1/models/iris/shadow' })).json();
    expect(after.requests).toEqual({ ...before.requests, compared: before.requests.compared + 1 });
    expect(after.rows).toBe(before.rows + 1);
  });

  it('shows the shadow in the model summary, and answers 404 for a model without one or unknown', async () => {
    const iris = (await server.app.inject({ method: 'GET', url: '/v1/models' })).json().models.find((model: { name: string }) => model.name === 'iris');
    expect(iris.shadow).toEqual({ version: 'canary', sample: 1, since: expect.stringMatching(/^\d{4}-/) });
    const digits = await server.app.inject({ method: 'GET', url: '/v1/models/digits/shadow' });
    expect(digits.statusCode).toBe(404);
    expect(digits.json()).toMatchObject({ code: 'NO_SHADOW', message: expect.stringContaining('model "digits" has no shadow version') });
    const unknown = await server.app.inject({ method: 'GET', url: '/v1/models/nope/shadow' });
    expect(unknown.json()).toMatchObject({ statusCode: 404, code: 'MODEL_NOT_FOUND' });
  });
});

describe('the prediction log with a shadow on', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shadow-log-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'predictions.jsonl');
  const server = useTestApp({
    models: ['iris'],
    env: { PREDICTION_LOG: `file:${file}` },
    prepare: (modelsDir) => configureShadow(modelsDir, 'iris', { version: 2, sample: 1 }),
  });

  it("logs the shadow's answer beside the served one, marked, with the version that served", async () => {
    const rows = [flower(8), flower(9)];
    expect((await server.app.inject(irisRequest(rows, 'logged-1'))).statusCode).toBe(200);
    await shadowIdle(server.app);
    await vi.waitFor(async () => expect(await metricValue(server.app, 'prediction_log_records_total', 'sink="file"')).toBe(2), { timeout: 10_000 });
    const entries = (await logLines(file)).entries.filter((entry) => entry.request_id === 'logged-1');
    const served = entries.filter((entry) => !entry.shadow);
    const shadow = entries.filter((entry) => entry.shadow);
    expect(served.map((entry) => [entry.version, entry.instance])).toEqual([[1, 0], [1, 1]]);
    expect(served[0]).not.toHaveProperty('serving_version');
    expect(shadow.map((entry) => [entry.version, entry.serving_version, entry.instance])).toEqual([[2, 1, 0], [2, 1, 1]]);
    const expected = await irisProbabilities(2, rows);
    expect(shadow.map((entry) => entry.outputs.probabilities)).toEqual(expected);
    expect(shadow[0].inputs).toEqual(served[0].inputs);
  });
});
