import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MetricsRegistry } from '../../src/observability/metrics-registry';
import { ShadowMonitor } from '../../src/shadow/shadow-monitor';

/** Adds (or replaces) the "shadow" section of a model's config.json in a throwaway MODELS_DIR. */
export async function configureShadow(modelsDir: string, model: string, shadow: object | null): Promise<void> {
  const file = path.join(modelsDir, model, 'config.json');
  const config = JSON.parse(await readFile(file, 'utf8').catch(() => '{}')) as Record<string, unknown>;
  await writeFile(file, JSON.stringify({ ...config, shadow }));
}

/** Resolves once every sampled request has been run on its shadow (or dropped). */
export async function shadowIdle(app: NestFastifyApplication): Promise<void> {
  // Answers go out, then their recorders run: a turn of the event loop later, the last trial is queued.
  await new Promise((resolve) => setImmediate(resolve));
  await app.get(ShadowMonitor).idle();
}

/** The sum of the samples of one series family whose labels include all of `labels` (0 when none). */
export function seriesSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const own = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => own[key] === value)) sum += Number(match[3]);
  }
  return sum;
}

export async function scrape(app: NestFastifyApplication): Promise<string> {
  return app.get(MetricsRegistry).scrape();
}

/** One row's top-k classes as /v1 ranks them: best first, ties to the lower class. */
export function topClasses(row: readonly number[], k: number): number[] {
  return row
    .map((value, i) => [value, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i);
}
