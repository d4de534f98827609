import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import { grpcClient } from './grpc-client';
import { shadowIdle } from './shadow';
import { useTestApp, type TestApp } from './test-app';

/**
 * The real service with every family of series it can export in a scrape: iris (with a drift
 * reference; its version 2 deprecated, with a sunset, and shadowing every request of version 1) and
 * digits, the prediction log on (to a throwaway file), gRPC on; `scrape()` first sends REST and gRPC
 * traffic (answered, refused and unknown, and to the deprecated version) so the histograms and counters
 * have samples.
 */
export function useScrapedApp(): { scrape(): Promise<string>; readonly started: TestApp } {
  const logDir = mkdtempSync(path.join(tmpdir(), 'scrape-prediction-log-'));
  const started = useTestApp({
    models: ['iris', 'digits'],
    grpc: true,
    env: { PREDICTION_LOG: `file:${path.join(logDir, 'predictions.jsonl')}` },
    prepare: (modelsDir) =>
      writeFile(
        path.join(modelsDir, 'iris', 'config.json'),
        JSON.stringify({
          default_version: 1,
          labels: { stable: 1, canary: 2 },
          versions: { '2': { deprecated: true, sunset: '2099-01-01T00:00:00Z' } },
          shadow: { version: 2, sample: 1 },
        }),
      ),
  });
  afterAll(() => rmSync(logDir, { recursive: true, force: true }));
  return {
    started,
    async scrape() {
      const { app } = started;
      const predict = (payload: unknown) => app.inject({ method: 'POST', url: '/v1/models/iris/predict', payload: payload as object });
      expect((await predict({ instances: [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]] })).statusCode).toBe(200);
      expect((await predict({ instances: [[1, 2]] })).statusCode).toBe(422);
      const deprecated = await app.inject({ method: 'POST', url: '/v1/models/iris/predict', headers: { 'x-model-version': '2' }, payload: { instances: [[5.1, 3.5, 1.4, 0.2]] } });
      expect(deprecated.headers.deprecation).toBeDefined();
      expect((await app.inject({ method: 'GET', url: '/no/such/route' })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
      const client = grpcClient(started.grpcPort);
      try {
        const input = { name: 'input', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [5.1, 3.5, 1.4, 0.2] } };
        await client.call('ModelInfer', { model_name: 'iris', inputs: [input] });
      } finally {
        client.close();
      }
      await shadowIdle(app);
      const response = await app.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      return response.body;
    },
  };
}

/** Metric families of a Prometheus text exposition: name -> type, from its `# TYPE` lines. */
export function metricFamilies(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
}

/** Label names seen on each sample name (`x_bucket`, `x_sum`... under their own names). */
export function sampleLabels(text: string): Map<string, Set<string>> {
  const labels = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (!match) continue;
    const names = labels.get(match[1]) ?? new Set<string>();
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) names.add(pair[1]);
    labels.set(match[1], names);
  }
  return labels;
}

/** The exposition without the given families (their HELP, TYPE and sample lines). */
export function withoutFamilies(text: string, families: readonly string[]): string {
  const belongs = (name: string) => families.some((family) => name === family || (name.startsWith(family) && /^_(bucket|sum|count|total|created)$/.test(name.slice(family.length))));
  return text
    .split('\n')
    .filter((line) => {
      const name = line.startsWith('# ') ? line.split(' ')[2] : /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line)?.[1];
      return name === undefined || !belongs(name);
    })
    .join('\n');
}
