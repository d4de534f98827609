// Part 7, "how cost grows": one service loading many versions of a model,
// against one loading a single version. Start-up time, resident memory, and
// throughput when requests are spread over every version (each version has
// its own batch queue, so spreading load also splits batches).
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cpuMeter } from './cpu.mjs';
import { runCell } from './load.mjs';
import { probe } from './scenarios.mjs';
import { batchCounters, ROOT, startService } from './service.mjs';
import { sleep } from './processes.mjs';

/**
 * Builds MODELS_DIR with `versions` versions of iris, alternating the bundled
 * v1 and v2 files (two really different weight sets, so no two neighbours
 * are byte-identical), each with the iris manifest, and no config.json.
 */
async function makeRepository(parent, versions) {
  const dir = path.join(parent, `repo-${versions}`);
  for (let v = 1; v <= versions; v++) {
    const source = path.join(ROOT, 'models', 'iris', v % 2 === 1 ? '1' : '2');
    const target = path.join(dir, 'iris', String(v));
    await mkdir(target, { recursive: true });
    await copyFile(path.join(source, 'model.onnx'), path.join(target, 'model.onnx'));
    await copyFile(path.join(source, 'manifest.json'), path.join(target, 'manifest.json'));
  }
  return dir;
}

/** Polls GET /v1/models until every version is READY: /health/ready only waits for the default one. */
async function waitAllReady(url, versions, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const body = await (await fetch(`${url}/v1/models`, { signal: AbortSignal.timeout(2000) })).json();
      const iris = body.models?.find((m) => m.name === 'iris');
      const ready = iris?.versions?.filter((v) => v.state === 'READY').length ?? 0;
      if (ready >= versions) return true;
    } catch {
      // still starting
    }
    await sleep(50);
  }
  return false;
}

/** The first and last versions must answer right, and say which version they are: before and after every cell. */
async function checkVersions(url, scenario, versions) {
  for (const v of versions) {
    const answer = await probe(url, scenario, { 'x-model-version': String(v) });
    const version = answer.ok ? JSON.parse(answer.body).version : undefined;
    if (!answer.ok || version !== v) throw new Error(`version ${v} answered ${answer.status} ${answer.body.slice(0, 200)}`);
  }
}

/**
 * @param {object} options
 * @param {object} options.scenario the iris /v1 scenario
 * @param {number} options.versions
 * @param {number} options.seconds cell length
 * @param {number} options.connections
 * @param {string} options.logLevel
 * @param {(line: string) => void} options.log
 */
export async function measureManyVersions({ scenario, versions, seconds, connections, logLevel, log, readyTimeoutMs }) {
  const parent = await mkdtemp(path.join(os.tmpdir(), 'onnx-bench-versions-'));
  const results = [];
  try {
    for (const count of [1, versions]) {
      const modelsDir = await makeRepository(parent, count);
      log(`  versions=${count}: starting the service on ${modelsDir}`);
      const service = await startService({ env: { MODELS_DIR: modelsDir }, logLevel, readyTimeoutMs, name: `service (${count} versions)` });
      try {
        const readyMs = service.startupMs;
        const allReady = await waitAllReady(service.url, count, readyTimeoutMs);
        const loadedMs = allReady ? service.sinceStartMs() : Number.NaN;
        const rssIdleKb = await service.rssKb();
        // Spread: wrk picks a random X-Model-Version of 1..count for each request (in its Lua request()).
        const spread = { versions: Array.from({ length: count }, (_, i) => i + 1) };
        const single = { headers: { 'x-model-version': '1' } };
        // Warm-up touches every version's session in both workers before memory is read.
        await runCell({ url: service.url + scenario.path, scenario, connections, seconds: Math.min(2, seconds), ...spread });
        const rssWarmKb = await service.rssKb();
        const cells = {};
        const modes = count > 1 ? { spread, single } : { single };
        for (const [mode, requests] of Object.entries(modes)) {
          await checkVersions(service.url, scenario, [1, count]);
          const before = await batchCounters(service.url, 'iris');
          const meter = cpuMeter(service.pid);
          const cell = await runCell({ url: service.url + scenario.path, scenario, connections, seconds, ...requests });
          const cpu = meter(cell.generatorCpuSeconds);
          const after = before ? await batchCounters(service.url, 'iris') : undefined;
          // Each version has its own queue: spreading requests over versions splits the batches.
          const meanBatch = after && after.count > before.count ? (after.sum - before.sum) / (after.count - before.count) : undefined;
          cells[mode] = { ...cell, meanBatch, cpu };
          log(`  versions=${count} ${mode.padEnd(6)} @${connections}: ${Math.round(cell.reqPerSec)} req/s, p99 ${cell.p99.toFixed(2)} ms, errors ${cell.totalErrors}, cpu server ${cpu.server} / wrk ${cpu.loadGenerator} / others ${cpu.others}`);
          await checkVersions(service.url, scenario, [1, count]);
        }
        results.push({
          versions: count,
          readyMs,
          allLoadedMs: loadedMs,
          rssIdleKb,
          rssWarmKb,
          rssAfterKb: await service.rssKb(),
          cells,
        });
      } finally {
        await service.stop();
      }
    }
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
  const [one, many] = results;
  return {
    versions,
    connections,
    runs: results,
    memoryPerVersionKb: (many.rssWarmKb - one.rssWarmKb) / (many.versions - one.versions),
  };
}
