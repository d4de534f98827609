// `node bench/many-models.mjs` (after `npm run build`): a pod holding a
// repository of 1,000 small models with MODEL_LOADING=lazy and a memory
// budget, against the targets of the lazy-loading design:
//   - ready within 10 s (nothing but the listing is read at start);
//   - the first request to a cold model answered within 300 ms at p99;
//   - resident memory within the budget plus an empty server's, after every
//     model has been asked for once (so the budget has had to evict);
//   - a hot model's throughput within 10% of the same model in a 2-model
//     repository (both lazy, cells interleaved pass after pass).
// Also: how the service's memory estimate (model_loaded_estimated_bytes)
// compares with the memory it really took. Numbers depend on the machine;
// run on a quiet one. Results: bench/results/many-models-<time>.json.
//
// Settings (environment):
//   MANY_MODELS=1000  MANY_BUDGET_MB=256  MANY_COLD=400 (cold first requests measured)
//   MANY_COLD_STREAMS=4 (clients sending them at once)  MANY_PASSES=8  MANY_SECONDS=4  MANY_CONNECTIONS=64
//   MANY_ROUNDS=3 (times every model is asked: RSS after each round shows whether memory settles)
//   MANY_SETTLE_SECONDS=30 (quiet time after the rounds before RSS is measured again)
//   MANY_ENV='{"MALLOC_ARENA_MAX":"2"}'  more environment for every service started
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cpuMeter, processTree } from './cpu.mjs';
import { ensureWrk, runCell } from './load.mjs';
import { sleep } from './processes.mjs';
import { RESULTS_DIR } from './results.mjs';
import { SCENARIOS } from './scenarios.mjs';
import { ROOT, startService } from './service.mjs';
import { mb } from './table.mjs';

const env = process.env;
const MODELS = Number(env.MANY_MODELS ?? 1000);
const BUDGET_BYTES = Number(env.MANY_BUDGET_MB ?? 256) * 1024 ** 2;
const COLD = Math.min(Number(env.MANY_COLD ?? 400), MODELS - 2);
const COLD_STREAMS = Number(env.MANY_COLD_STREAMS ?? 4);
const PASSES = Number(env.MANY_PASSES ?? 8);
const SECONDS = Number(env.MANY_SECONDS ?? 4);
const CONNECTIONS = Number(env.MANY_CONNECTIONS ?? 64);
const ROUNDS = Number(env.MANY_ROUNDS ?? 3);
const EXTRA_ENV = JSON.parse(env.MANY_ENV ?? '{}');
const SETTLE_SECONDS = Number(env.MANY_SETTLE_SECONDS ?? 30);
const log = (line) => process.stderr.write(`${line}\n`);

/**
 * Pauses (SIGSTOP) or resumes (SIGCONT) a service's whole process tree: the service not measured must
 * not take CPU from the one measured (polling a repository of 1,000 models is work even when idle).
 */
function pause(service, paused) {
  for (const pid of processTree(service.pid)) {
    try {
      process.kill(pid, paused ? 'SIGSTOP' : 'SIGCONT');
    } catch {
      // gone already
    }
  }
}

const IRIS = SCENARIOS.find((s) => s.id === 'iris-v1');
const modelName = (i) => `m${String(i).padStart(4, '0')}`;
const scenarioFor = (name) => ({ ...IRIS, id: `iris-v1 ${name}`, path: `/v1/models/${name}/predict` });

/** `count` models named m0000..., each one version of iris (the bundled v1 and v2 files alternated, so neighbours differ). */
async function makeRepository(dir, count) {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const source = path.join(ROOT, 'models', 'iris', i % 2 === 0 ? '1' : '2');
    const target = path.join(dir, modelName(i), '1');
    await mkdir(target, { recursive: true });
    await copyFile(path.join(source, 'model.onnx'), path.join(target, 'model.onnx'));
    await copyFile(path.join(source, 'manifest.json'), path.join(target, 'manifest.json'));
  }
  return dir;
}

async function predict(url, name) {
  const started = performance.now();
  const response = await fetch(`${url}/v1/models/${name}/predict`, {
    method: 'POST',
    headers: IRIS.headers,
    body: IRIS.body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200 || !IRIS.check(text)) throw new Error(`${name} answered ${response.status}: ${text.slice(0, 300)}`);
  return ms;
}

/** First requests to `names`, `streams` clients at once, each model asked once: the latency of a cold model. */
async function coldRequests(url, names, streams) {
  const latencies = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: streams }, async () => {
      while (next < names.length) latencies.push(await predict(url, names[next++]));
    }),
  );
  return latencies.sort((a, b) => a - b);
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** Sample values of the lazy-loading series from /metrics, summed over labels (and HTTP processes). */
async function loadingSeries(url) {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const sums = {};
  for (const line of text.split('\n')) {
    const match = /^(model_(?:loads_total|evictions_total|versions_loaded|loaded_estimated_bytes|memory_budget_bytes)[a-z_]*)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (match) sums[match[1]] = (sums[match[1]] ?? 0) + Number(match[2]);
  }
  return sums;
}

/** The JS heap in use, summed over the HTTP processes (nodejs_heap_size_used_bytes). */
async function heapUsed(url) {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  return [...text.matchAll(/^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

async function states(url) {
  const body = await (await fetch(`${url}/v1/models`, { signal: AbortSignal.timeout(10_000) })).json();
  const counts = {};
  for (const model of body.models) for (const version of model.versions) counts[version.state] = (counts[version.state] ?? 0) + 1;
  return counts;
}

const parent = await mkdtemp(path.join(os.tmpdir(), 'onnx-bench-many-'));
const services = [];
const results = { startedAt: new Date().toISOString(), models: MODELS, budgetBytes: BUDGET_BYTES, env: EXTRA_ENV, cpus: os.cpus().length };
try {
  ensureWrk(log);
  const many = await makeRepository(path.join(parent, 'many'), MODELS);
  const two = await makeRepository(path.join(parent, 'two'), 2);
  const empty = path.join(parent, 'empty');
  await mkdir(empty);
  const lazy = { MODEL_LOADING: 'lazy', MODEL_MEMORY_BUDGET_BYTES: String(BUDGET_BYTES), LOG_LEVEL: 'warn', ...EXTRA_ENV };

  log('empty repository: starting');
  const idle = await startService({ env: { ...lazy, MODELS_DIR: empty }, name: 'service (no models)' });
  await sleep(2000);
  results.emptyRssKb = await idle.rssKb();
  results.emptyHeapUsedBytes = await heapUsed(idle.url);
  await idle.stop();
  log(`  RSS ${mb(results.emptyRssKb)} MB, JS heap used ${mb(results.emptyHeapUsedBytes / 1024)} MB`);

  log(`${MODELS} models, lazy, budget ${mb(BUDGET_BYTES / 1024)} MB: starting`);
  const big = await startService({ env: { ...lazy, MODELS_DIR: many }, name: `service (${MODELS} models)`, readyTimeoutMs: 120_000 });
  services.push(big);
  results.readyMs = big.startupMs;
  results.statesAtReady = await states(big.url);
  results.rssAtReadyKb = await big.rssKb();
  results.heapUsedAtReadyBytes = await heapUsed(big.url);
  log(`  ready in ${(big.startupMs / 1000).toFixed(2)} s, states ${JSON.stringify(results.statesAtReady)}, RSS ${mb(results.rssAtReadyKb)} MB, JS heap used ${mb(results.heapUsedAtReadyBytes / 1024)} MB`);

  // Models 2.. are cold; 0 and 1 are kept for the hot-model cells.
  const cold = Array.from({ length: COLD }, (_, i) => modelName(i + 2));
  const latencies = await coldRequests(big.url, cold, COLD_STREAMS);
  results.cold = { requests: latencies.length, streams: COLD_STREAMS, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) };
  log(`  cold first requests (${COLD_STREAMS} at once): p50 ${results.cold.p50.toFixed(1)} ms, p99 ${results.cold.p99.toFixed(1)} ms, max ${results.cold.max.toFixed(1)} ms`);

  // Every other model asked once more, so the budget has had every chance to be exceeded.
  const rest = Array.from({ length: MODELS - 2 - COLD }, (_, i) => modelName(i + 2 + COLD));
  await coldRequests(big.url, rest, COLD_STREAMS);
  await sleep(2000);
  results.afterAllAsked = { rssKb: await big.rssKb(), heapUsedBytes: await heapUsed(big.url), states: await states(big.url), series: await loadingSeries(big.url) };
  log(`  after every model was asked once: RSS ${mb(results.afterAllAsked.rssKb)} MB, JS heap used ${mb(results.afterAllAsked.heapUsedBytes / 1024)} MB, states ${JSON.stringify(results.afterAllAsked.states)}`);
  log(`  series ${JSON.stringify(results.afterAllAsked.series)}`);
  // Every model asked again: memory that grows round after round would be a leak; a plateau is the allocator's.
  results.rounds = [];
  for (let round = 2; round <= ROUNDS; round++) {
    await coldRequests(big.url, Array.from({ length: MODELS - 2 }, (_, i) => modelName(i + 2)), COLD_STREAMS);
    await sleep(2000);
    const rssKb = await big.rssKb();
    results.rounds.push({ round, rssKb, heapUsedBytes: await heapUsed(big.url) });
    log(`  round ${round}: RSS ${mb(rssKb)} MB, JS heap used ${mb(results.rounds.at(-1).heapUsedBytes / 1024)} MB`);
  }
  // A /metrics scrape of a thousand models merges tens of thousands of series: its memory stays a while after
  // (V8 gives pages back once allocation has been quiet for some seconds). Measured again after a quiet spell.
  await sleep(SETTLE_SECONDS * 1000);
  results.settled = { afterSeconds: SETTLE_SECONDS, rssKb: await big.rssKb() };
  log(`  ${SETTLE_SECONDS} s later: RSS ${mb(results.settled.rssKb)} MB`);

  log('2 models, lazy: starting');
  const small = await startService({ env: { ...lazy, MODELS_DIR: two }, name: 'service (2 models)' });
  services.push(small);
  const hot = scenarioFor(modelName(0));
  for (const service of [big, small]) await predict(service.url, modelName(0));
  const cells = { [MODELS]: [], 2: [] };
  for (const [label, service] of [[MODELS, big], [2, small]]) {
    await runCell({ url: service.url + hot.path, scenario: hot, connections: CONNECTIONS, seconds: 2 });
    log(`  warmed ${label}`);
  }
  for (let pass = 0; pass < PASSES; pass++) {
    for (const [label, service] of pass % 2 === 0 ? [[MODELS, big], [2, small]] : [[2, small], [MODELS, big]]) {
      const other = service === big ? small : big;
      pause(other, true);
      const meter = cpuMeter(service.pid);
      const cell = await runCell({ url: service.url + hot.path, scenario: hot, connections: CONNECTIONS, seconds: SECONDS });
      const cpu = meter(cell.generatorCpuSeconds);
      pause(other, false);
      cells[label].push({ reqPerSec: cell.reqPerSec, p99: cell.p99, errors: cell.totalErrors, cpu });
      log(`  pass ${pass + 1} ${String(label).padStart(4)} models: ${Math.round(cell.reqPerSec)} req/s p99 ${cell.p99.toFixed(1)} ms errors ${cell.totalErrors} cpu server ${cpu.server} wrk ${cpu.loadGenerator} others ${cpu.others}`);
    }
  }
  const mean = (list) => list.reduce((sum, c) => sum + c.reqPerSec, 0) / list.length;
  results.hot = { connections: CONNECTIONS, seconds: SECONDS, cells, ratio: mean(cells[MODELS]) / mean(cells[2]) };

  const budgetKb = BUDGET_BYTES / 1024;
  results.verdicts = {
    readyWithin10s: results.readyMs <= 10_000,
    coldP99Within300ms: results.cold.p99 <= 300,
    // Every reading once models were asked, those 2 s after a scrape too: Prometheus scrapes every 15-60 s, and a
    // scrape's memory stays about a minute, so that is the pod's RSS in service.
    rssWithinBudgetPlusEmpty: Math.max(results.afterAllAsked.rssKb, ...results.rounds.map((r) => r.rssKb), results.settled.rssKb) <= budgetKb + results.emptyRssKb,
    hotWithin10Percent: results.hot.ratio >= 0.9,
  };
  console.log(`\n${MODELS} models, MODEL_LOADING=lazy, budget ${mb(budgetKb)} MB (the pod's, HTTP_PROCESSES split it)`);
  console.log(`| target | measured | met |\n|---|---|---|`);
  console.log(`| ready <= 10 s | ${(results.readyMs / 1000).toFixed(2)} s | ${results.verdicts.readyWithin10s ? 'yes' : 'no'} |`);
  console.log(`| cold first request p99 <= 300 ms (${COLD} models, ${COLD_STREAMS} at once) | p50 ${results.cold.p50.toFixed(1)} ms, p99 ${results.cold.p99.toFixed(1)} ms | ${results.verdicts.coldP99Within300ms ? 'yes' : 'no'} |`);
  console.log(`| RSS <= budget + empty server (${mb(budgetKb)} + ${mb(results.emptyRssKb)} MB) | ${mb(results.afterAllAsked.rssKb)} MB after every model was asked; rounds ${results.rounds.map((r) => mb(r.rssKb)).join(', ')} MB (2 s after a scrape); ${mb(results.settled.rssKb)} MB ${SETTLE_SECONDS} s later | ${results.verdicts.rssWithinBudgetPlusEmpty ? 'yes' : 'no'} |`);
  console.log(`| hot model >= 0.9x of a 2-model repository | ${results.hot.ratio.toFixed(2)}x (${Math.round(mean(cells[MODELS]))} vs ${Math.round(mean(cells[2]))} req/s) | ${results.verdicts.hotWithin10Percent ? 'yes' : 'no'} |`);
  const series = results.afterAllAsked.series;
  const measuredKb = results.afterAllAsked.rssKb - results.emptyRssKb;
  console.log(`\nloaded versions ${series.model_versions_loaded}, estimated ${mb((series.model_loaded_estimated_bytes ?? NaN) / 1024)} MB, ` +
    `measured above the empty server ${mb(measuredKb)} MB; loads ${series.model_loads_total}, evictions ${series.model_evictions_total}`);
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `many-models-${results.startedAt.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify(results, null, 2));
  log(`results: ${path.relative(ROOT, file)}`);
} finally {
  for (const service of services) pause(service, false);
  for (const service of services) await service.stop();
  await rm(parent, { recursive: true, force: true });
}
