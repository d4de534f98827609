import { copyFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../src/observability/metrics-registry';
import { grpcClient } from './support/grpc-client';
import { irisProbabilities } from './support/iris';
import { REPO_MODELS_DIR, useTestApp } from './support/test-app';

const FLOWER = [5.1, 3.5, 1.4, 0.2];
const predict = (rows: number[][]) => ({
  method: 'POST' as const,
  url: '/v1/models/iris/predict',
  headers: { 'content-type': 'application/json' },
  payload: JSON.stringify({ instances: rows }),
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('response cache (config.json "cache")', () => {
  const server = useTestApp({
    models: ['iris', 'digits'],
    grpc: true,
    env: { MODEL_POLL_INTERVAL_MS: '100', MODEL_SETTLE_MS: '200' },
    prepare: async (modelsDir) => {
      await writeFile(path.join(modelsDir, 'iris', 'config.json'), JSON.stringify({ default_version: 1, cache: { max_bytes: 8192 } }));
    },
  });

  async function metric(name: string, labels = 'model="iris",version="1"'): Promise<number> {
    const text = await server.app.get(MetricsRegistry).scrape();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  it('answers an identical request from the cache (X-Cache: HIT, same answer, no inference), a different one by running it', async () => {
    const inferences = () => metric('model_inference_duration_seconds_count');
    const first = await server.app.inject(predict([FLOWER]));
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-cache']).toBe('MISS');
    const ran = await inferences();
    const second = await server.app.inject(predict([FLOWER]));
    expect(second.headers['x-cache']).toBe('HIT');
    expect(second.json()).toEqual(first.json());
    expect(await inferences()).toBe(ran);
    const other = await server.app.inject(predict([[6.7, 3.0, 5.2, 2.3]]));
    expect(other.headers['x-cache']).toBe('MISS');
    expect(await inferences()).toBe(ran + 1);
    expect(await metric('model_cache_hits_total')).toBeGreaterThanOrEqual(1);
    expect(await metric('model_cache_misses_total')).toBeGreaterThanOrEqual(2);
    expect(await metric('model_cache_bytes')).toBeGreaterThan(0);
  });

  it('keys /v2 and gRPC requests on their exact tensors too, and says HIT or MISS in their own way', async () => {
    const body = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [4.9, 3.1, 1.5, 0.1] }] });
    const v2 = () => server.app.inject({ method: 'POST', url: '/v2/models/iris/infer', headers: { 'content-type': 'application/json' }, payload: body });
    expect((await v2()).headers['x-cache']).toBe('MISS');
    expect((await v2()).headers['x-cache']).toBe('HIT');
    const client = grpcClient(server.grpcPort);
    try {
      const request = {
        model_name: 'iris',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4] }],
        raw_input_contents: [Buffer.from(Float32Array.from([4.4, 2.9, 1.4, 0.2]).buffer)],
      };
      const first = await client.callWithTrailer('ModelInfer', request);
      const second = await client.callWithTrailer('ModelInfer', request);
      expect([first.trailer.get('x-cache'), second.trailer.get('x-cache')]).toEqual([['MISS'], ['HIT']]);
      expect(second.response.raw_output_contents).toEqual(first.response.raw_output_contents);
    } finally {
      client.close();
    }
  });

  it('stays within max_bytes, evicting the least recently used answers', async () => {
    for (let i = 0; i < 100; i++) await server.app.inject(predict([[5 + i / 100, 3, 1.4, 0.2]]));
    expect(await metric('model_cache_bytes')).toBeLessThanOrEqual(8192);
    expect(await metric('model_cache_evictions_total')).toBeGreaterThan(0);
  });

  it('is off for models without "cache" in config.json: no header, no series', async () => {
    const blank = Array.from({ length: 28 }, () => new Array(28).fill(0));
    const response = await server.app.inject({ ...predict([]), url: '/v1/models/digits/predict', payload: JSON.stringify({ instances: [blank] }) });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-cache']).toBeUndefined();
    expect(await metric('model_cache_misses_total', 'model="digits",version="1"')).toBe(0);
  });

  it('never answers from an old model: a version reloaded with new weights starts with an empty cache', async () => {
    await server.app.inject(predict([FLOWER]));
    const warm = await server.app.inject(predict([FLOWER]));
    expect(warm.headers['x-cache']).toBe('HIT');
    // Version 1's file replaced by version 2's weights: the registry reloads it.
    await copyFile(path.join(REPO_MODELS_DIR, 'iris', '2', 'model.onnx'), path.join(server.modelsDir, 'iris', '1', 'model.onnx'));
    const expected = (await irisProbabilities(2, [FLOWER]))[0];
    let response = warm;
    for (let i = 0; i < 100 && response.headers['x-cache'] === 'HIT'; i++) {
      await sleep(100);
      response = await server.app.inject(predict([FLOWER]));
    }
    expect(response.headers['x-cache']).toBe('MISS');
    expect(response.json().predictions[0].probabilities).toMatchModelOutput(Object.fromEntries(['setosa', 'versicolor', 'virginica'].map((label, i) => [label, expected[i]])));
  });
});
