import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { grpcClient } from './support/grpc-client';
import { irisPrediction, irisProbabilities } from './support/iris';
import { SERIES_PER_LOADED_VERSION, seriesOfLoadedVersion } from '../src/model-registry/memory-budget';
import { ModelRegistry } from '../src/model-registry/model-registry.service';
import { REPO_MODELS_DIR, useTestApp } from './support/test-app';

const FLOWERS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
];

/** MODELS_DIR with `required` (the bundled iris, its config.json included) and cold copies of iris without one. */
function irisCopies(cold: readonly string[]) {
  return async (modelsDir: string): Promise<void> => {
    await cp(path.join(REPO_MODELS_DIR, 'iris'), path.join(modelsDir, 'required'), { recursive: true });
    for (const name of cold) {
      await cp(path.join(REPO_MODELS_DIR, 'iris'), path.join(modelsDir, name), { recursive: true });
      await rm(path.join(modelsDir, name, 'config.json'));
    }
  };
}

/** The value of one sample of a scrape, or undefined when the series is not there. */
function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('MODEL_LOADING=lazy', () => {
  const server = useTestApp({
    prepare: irisCopies(['cold-a', 'cold-b', 'cold-c']),
    grpc: true,
    env: { MODEL_LOADING: 'lazy', REQUIRED_MODELS: 'required', MODEL_POLL_INTERVAL_MS: '0', HTTP_PROCESSES: '1' },
  });
  const get = (url: string) => server.app.inject({ method: 'GET', url });
  const predict = (name: string, headers: Record<string, string> = {}) =>
    server.app.inject({ method: 'POST', url: `/v1/models/${name}/predict`, headers: { 'content-type': 'application/json', ...headers }, payload: { instances: FLOWERS } });
  const statesOf = async (name: string) =>
    ((await get('/v1/models')).json().models as { name: string; versions: { version: number; state: string }[] }[])
      .find((model) => model.name === name)!
      .versions.map((v) => `${v.version}:${v.state}`);

  it('starts ready with the required model loaded and every other version listed AVAILABLE, without their series', async () => {
    expect((await get('/health/ready')).statusCode).toBe(200);
    expect(await statesOf('required')).toEqual(['1:READY', '2:READY']);
    expect(await statesOf('cold-a')).toEqual(['1:AVAILABLE', '2:AVAILABLE']);
    const models = (await get('/v1/models')).json().models as { name: string; default_version?: number }[];
    // Without a configured default, the highest version that would load, as an eager start would serve it.
    expect(models.find((model) => model.name === 'cold-a')?.default_version).toBe(2);
    expect((await get('/v2/models/cold-b/ready')).statusCode).toBe(400);
    expect((await get('/v2/models/cold-b/versions/1/ready')).statusCode).toBe(400);

    const metrics = (await get('/metrics')).body;
    expect(sample(metrics, 'model_versions_loaded')).toBe(2);
    expect(sample(metrics, 'model_loads_total{trigger="start",outcome="ready"}')).toBe(2);
    expect(sample(metrics, 'model_loads_total{trigger="request",outcome="ready"}')).toBe(0);
    expect(sample(metrics, 'model_loaded_estimated_bytes')).toBeGreaterThan(0);
    expect(sample(metrics, 'model_version_ready{model="cold-b",version="1"}')).toBe(0);
    // Listed versions hold no batcher: their per-version series appear only once they load.
    expect(metrics).toContain('model_queue_depth{model="required",version="1"}');
    expect(metrics).not.toContain('model_queue_depth{model="cold-b"');
  });

  it('loads a cold model on its first request and answers it as an eager start would, then reports it READY', async () => {
    const response = await predict('cold-a');
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-model-version']).toBe('2');
    const expected = await irisProbabilities(2, FLOWERS);
    expect(response.json()).toMatchModelOutput({ model: 'cold-a', version: 2, predictions: expected.map(irisPrediction) });
    expect(await statesOf('cold-a')).toEqual(['1:AVAILABLE', '2:READY']);

    expect((await get('/v2/models/cold-a/ready')).statusCode).toBe(200);
    expect((await get('/v2/models/cold-a/versions/1/ready')).statusCode).toBe(400);
    // The protocol's metadata lists every version a request may name, loaded or not.
    expect((await get('/v2/models/cold-a')).json()).toMatchObject({ name: 'cold-a', versions: ['1', '2'] });
    const metrics = (await get('/metrics')).body;
    expect(sample(metrics, 'model_loads_total{trigger="request",outcome="ready"}')).toBe(1);
    expect(sample(metrics, 'model_load_duration_seconds_count{trigger="request",outcome="ready"}')).toBe(1);
    expect(sample(metrics, 'model_versions_loaded')).toBe(3);
    expect(sample(metrics, 'model_version_ready{model="cold-a",version="2"}')).toBe(1);
  });

  it("counts in the memory estimate every series a loaded version adds to a scrape (a scrape's memory grows with them)", async () => {
    // cold-a version 2 was loaded by the test before; version 1 is listed only. What the loaded one has more is its own,
    // but for its count of predictions, which stays once it is unloaded (a counter Prometheus has seen must not vanish).
    const seriesOf = (metrics: string, version: number) =>
      metrics
        .split('\n')
        .filter((line) => !line.startsWith('#') && !line.startsWith('model_predictions_total{') && line.includes(`model="cold-a",version="${version}"`)).length;
    const metrics = (await get('/metrics')).body;
    const added = seriesOf(metrics, 2) - seriesOf(metrics, 1);
    const loaded = server.app.get(ModelRegistry).get('cold-a').versions.find((v) => v.version === 2)!.ready!;
    expect(loaded.manifest?.drift).toBeDefined();
    expect(added).toBe(seriesOfLoadedVersion(loaded.manifest, true));
    // Without drift monitoring only the histograms and the queue depth are left.
    expect(seriesOfLoadedVersion(loaded.manifest, false)).toBe(SERIES_PER_LOADED_VERSION);
    expect(added).toBeGreaterThan(SERIES_PER_LOADED_VERSION);
  });

  it('loads a cold version for its /v2 metadata (its inputs and outputs are known only once loaded)', async () => {
    const metadata = await get('/v2/models/cold-b/versions/1');
    expect(metadata.statusCode).toBe(200);
    expect(metadata.json()).toMatchObject({ name: 'cold-b', inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }] });
    expect(await statesOf('cold-b')).toEqual(['1:READY', '2:AVAILABLE']);
  });

  it('loads a cold model for a gRPC ModelInfer and answers it', async () => {
    const client = grpcClient(server.grpcPort);
    try {
      expect(await client.call('ModelReady', { name: 'cold-c', version: '' })).toEqual({ ready: false });
      const answer = await client.call('ModelInfer', {
        model_name: 'cold-c',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], contents: { fp32_contents: FLOWERS.flat() } }],
      });
      expect(answer.model_version).toBe('2');
      const probabilities = Array.from(new Float32Array(new Uint8Array(answer.raw_output_contents[0] as Buffer).buffer));
      expect(probabilities).toMatchModelOutput((await irisProbabilities(2, FLOWERS)).flat());
      expect(await client.call('ModelReady', { name: 'cold-c', version: '' })).toEqual({ ready: true });
    } finally {
      client.close();
    }
  });
});

describe('MODEL_LOADING=lazy with a memory budget', () => {
  // One byte: every load is over it, so each unloads whatever may go, whatever the estimate of a version.
  const server = useTestApp({
    prepare: irisCopies(['cold-a', 'cold-b']),
    env: { MODEL_LOADING: 'lazy', REQUIRED_MODELS: 'required', MODEL_MEMORY_BUDGET_BYTES: '1', MODEL_POLL_INTERVAL_MS: '0', HTTP_PROCESSES: '1' },
  });
  const get = (url: string) => server.app.inject({ method: 'GET', url });
  const predict = (name: string) =>
    server.app.inject({ method: 'POST', url: `/v1/models/${name}/predict`, headers: { 'content-type': 'application/json' }, payload: { instances: FLOWERS } });
  const states = async () =>
    Object.fromEntries(
      ((await get('/v1/models')).json().models as { name: string; versions: { version: number; state: string }[] }[]).map((model) => [
        model.name,
        model.versions.map((v) => `${v.version}:${v.state}`),
      ]),
    );

  it('unloads the least recently used version for each load, never the required default, and reloads on request', async () => {
    // At start the required model loads both versions; its default (1, from config.json) always stays.
    expect((await states()).required[0]).toBe('1:READY');
    expect((await predict('cold-a')).statusCode).toBe(200);
    expect(await states()).toEqual({ 'cold-a': ['1:AVAILABLE', '2:READY'], 'cold-b': ['1:AVAILABLE', '2:AVAILABLE'], required: ['1:READY', '2:AVAILABLE'] });
    expect((await predict('cold-b')).statusCode).toBe(200);
    expect(await states()).toEqual({ 'cold-a': ['1:AVAILABLE', '2:AVAILABLE'], 'cold-b': ['1:AVAILABLE', '2:READY'], required: ['1:READY', '2:AVAILABLE'] });
    expect((await get('/health/ready')).statusCode).toBe(200);
    // An unloaded version's batching series go with its session (once its requests have finished).
    await expect.poll(async () => (await get('/metrics')).body).not.toContain('model_queue_depth{model="cold-a"');

    const again = await predict('cold-a');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchModelOutput({ model: 'cold-a', version: 2, predictions: (await irisProbabilities(2, FLOWERS)).map(irisPrediction) });
    // A version unloaded through the budget is asked for by number as any other: loaded again.
    const required2 = await server.app.inject({
      method: 'POST',
      url: '/v1/models/required/predict',
      headers: { 'content-type': 'application/json', 'x-model-version': '2' },
      payload: { instances: FLOWERS },
    });
    expect(required2.statusCode).toBe(200);

    const metrics = (await get('/metrics')).body;
    expect(sample(metrics, 'model_memory_budget_bytes')).toBe(1);
    expect(sample(metrics, 'model_versions_loaded')).toBe(2);
    // Over the budget with nothing more that may go (the required default and the version just loaded).
    expect(sample(metrics, 'model_memory_over_budget')).toBe(1);
    expect(sample(metrics, 'model_loads_total{trigger="request",outcome="ready"}')).toBe(4);
    expect(sample(metrics, 'model_evictions_total')).toBe(4);
  });
});

describe('MODEL_LOADING=lazy with MODEL_LOAD_WAIT_MS=0', () => {
  const server = useTestApp({
    prepare: irisCopies(['cold-a']),
    grpc: true,
    env: { MODEL_LOADING: 'lazy', MODEL_LOAD_WAIT_MS: '0', MODEL_POLL_INTERVAL_MS: '0', HTTP_PROCESSES: '1' },
  });
  const predict = (protocol: 'v1' | 'v2') =>
    protocol === 'v1'
      ? server.app.inject({ method: 'POST', url: '/v1/models/cold-a/predict', headers: { 'content-type': 'application/json' }, payload: { instances: FLOWERS } })
      : server.app.inject({
          method: 'POST',
          url: '/v2/models/cold-a/versions/1/infer',
          headers: { 'content-type': 'application/json' },
          payload: { inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: FLOWERS.flat() }] },
        });

  it('answers a request for a cold version 503 with Retry-After, naming it as loading, while the load goes on', async () => {
    const v1 = await predict('v1');
    expect(v1.statusCode).toBe(503);
    expect(v1.headers['retry-after']).toBe('1');
    expect(v1.json()).toMatchObject({ code: 'MODEL_LOADING', message: expect.stringContaining('model "cold-a": version 2 is LOADING on demand') });
    const v2 = await predict('v2');
    expect(v2.statusCode).toBe(503);
    expect(v2.json()).toEqual({ error: expect.stringContaining('model "cold-a": version 1 is LOADING on demand') });
    const client = grpcClient(server.grpcPort);
    try {
      const refused = client.call('ModelMetadata', { name: 'cold-a', version: '' });
      await expect(refused).rejects.toMatchObject({ code: 14, details: expect.stringContaining('is LOADING on demand') });
    } finally {
      client.close();
    }

    // The loads went on: once done, the next requests are served, and no load was started twice.
    await server.app.get(ModelRegistry).whenIdle();
    expect((await predict('v1')).statusCode).toBe(200);
    expect((await predict('v2')).statusCode).toBe(200);
    const metrics = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(sample(metrics, 'model_loads_total{trigger="request",outcome="ready"}')).toBe(2);
  });
});
