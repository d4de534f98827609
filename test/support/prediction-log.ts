import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MetricsRegistry } from '../../src/observability/metrics-registry';

/** A /v1 iris prediction with the caller's X-Request-Id (and a version when given), for `inject`. */
export function irisRequest(rows: readonly number[][], requestId: string, version?: string) {
  return {
    method: 'POST' as const,
    url: '/v1/models/iris/predict',
    headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...(version ? { 'x-model-version': version } : {}) },
    payload: JSON.stringify({ instances: rows }),
  };
}

/** Distinct flowers, so every logged instance can be told from the others. */
export function flower(i: number): number[] {
  return [4.5 + (i % 30) / 10, 2.5 + (i % 7) / 10, 1 + (i % 50) / 10, 0.1 + (i % 20) / 10];
}

/** The value of one series of the app's /metrics (0 when absent). */
export async function metricValue(app: NestFastifyApplication, name: string, labels = ''): Promise<number> {
  const text = await app.get(MetricsRegistry).scrape();
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}}` : `${name} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** The sum of a counter over all its label values. */
export async function metricTotal(app: NestFastifyApplication, name: string): Promise<number> {
  const text = await app.get(MetricsRegistry).scrape();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** Every JSON line of a log file and of its rotated files (<file>.1, <file>.2...), oldest file first. */
export async function logLines(file: string): Promise<{ files: string[]; entries: Record<string, any>[] }> {
  const directory = path.dirname(file);
  const base = path.basename(file);
  const names = (await readdir(directory).catch(() => [] as string[])).filter((name) => name === base || name.startsWith(`${base}.`));
  // Oldest first: <file>.N ... <file>.1, then <file>.
  names.sort((a, b) => rotation(b, base) - rotation(a, base));
  const entries: Record<string, any>[] = [];
  for (const name of names) {
    const text = await readFile(path.join(directory, name), 'utf8');
    if (text !== '' && !text.endsWith('\n')) throw new Error(`${name} ends inside a line`);
    for (const line of text.split('\n')) if (line !== '') entries.push(JSON.parse(line));
  }
  return { files: names, entries };
}

function rotation(name: string, base: string): number {
  return name === base ? 0 : Number(name.slice(base.length + 1));
}
