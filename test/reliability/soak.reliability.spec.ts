import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, tempModelsDir } from '../support/test-app';
import { printFigures, runLoad, type RequestSpec } from './support/load';
import { startServer, type ServerProcess } from './support/server-process';

const SOAK_MS = Number(process.env.SOAK_MS ?? 60_000);
const WARM_UP_MS = 5_000;

const requests: RequestSpec[] = [
  { method: 'POST', path: '/v1/models/iris/predict', headers: { 'content-type': 'application/json' }, body: '{"instances":[[5.1,3.5,1.4,0.2],[6.7,3.0,5.2,2.3]]}' },
  { method: 'POST', path: '/v1/models/iris/predict', headers: { 'content-type': 'application/json', 'x-model-version': '2' }, body: '{"instances":[{"sepal_length":5.9,"sepal_width":3.0,"petal_length":4.2,"petal_width":1.5}]}' },
  { method: 'POST', path: '/v1/models/iris/predict', headers: { 'content-type': 'application/json' }, body: '{"instances":[[1,2]]}' },
  { method: 'GET', path: '/v1/models/iris' },
];

describe('soak', () => {
  let server: ServerProcess;
  let modelsDir: string;

  beforeAll(async () => {
    modelsDir = await tempModelsDir('iris');
    server = await startServer({ MODELS_DIR: modelsDir });
  });
  afterAll(async () => {
    await server?.stop();
    await removeDir(modelsDir);
  });

  it(`holds ${SOAK_MS / 1000} s at 64 connections with no errors and stable memory`, async () => {
    const warmUpEnd = Date.now() + WARM_UP_MS;
    const warm = await runLoad(server.url, 64, (i) => requests[i % requests.length], () => Date.now() > warmUpEnd, { keepOutcomes: false });
    const rssAfterWarmUp = server.rssBytes();
    const end = Date.now() + SOAK_MS;
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(Math.round(server.rssBytes() / 2 ** 20)), 5000);
    const soak = await runLoad(server.url, 64, (i) => requests[i % requests.length], () => Date.now() > end, { keepOutcomes: false });
    clearInterval(sampler);
    const rssAfterSoak = server.rssBytes();
    const growth = rssAfterSoak / rssAfterWarmUp - 1;
    printFigures('soak', {
      seconds: SOAK_MS / 1000,
      requests: soak.requests,
      requests_per_s: Math.round(soak.requests / (SOAK_MS / 1000)),
      by_status: soak.byStatus,
      dropped: soak.dropped,
      max_ms: Math.round(soak.maxMs),
      rss_after_warm_up_mb: Math.round(rssAfterWarmUp / 2 ** 20),
      rss_after_soak_mb: Math.round(rssAfterSoak / 2 ** 20),
      rss_growth_pct: Math.round(growth * 1000) / 10,
      rss_samples_mb: samples.join('/'),
    });
    expect(warm.dropped + soak.dropped + soak.refused).toBe(0);
    // The one request shape that is invalid on purpose answers 422; anything else must be 200.
    expect(Object.keys(soak.byStatus).sort()).toEqual(['200', '422']);
    expect(Math.abs(growth)).toBeLessThan(0.2);
  });
});
