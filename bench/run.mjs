// `npm run bench`: the service against this machine's own ceilings, in one
// run on 127.0.0.1, side by side (issue "Dynamic batching and a benchmark
// against this machine's own ceilings", parts 6 and 7, and the performance
// issue's targets). Run on demand, never in CI: the numbers depend on the
// machine and on what else runs on it.
//
// The load generator is Debian's wrk (one thread, in its own process, so it
// never shares a thread with what it measures; installed with apt-get if
// missing). Phases, each server in its own child process:
//   1. compute ceiling  onnxruntime-node directly, best batch size and threads
//   2. servers          node dist/main.js with batching on (default settings), with
//                       BATCHING_ENABLED=false, and the HTTP ceiling (bare Fastify 5,
//                       same requests, constant same-size answers), all started at
//                       once, their cells interleaved so that each ratio compares
//                       cells seconds apart, under about the same outside load
//   3. hostile body     a 1 MB body of ~350,000 {} inputs to the idle batching-on
//                       service: time to its 4xx, and /health/live meanwhile
//   4. cost of versions 1 vs N versions loaded: start-up, memory, spread load
// then a table, PASS/MISS per target, and bench/results/<timestamp>.json.
//
// Settings (environment):
//   BENCH_SECONDS=5          length of every measured cell (whole seconds: wrk takes no fractions)
//   BENCH_QUICK=1            smoke run: 1 s cells, fewer cells
//   BENCH_CONNECTIONS=1,16,64,256   for the 1-instance scenarios
//   BENCH_MULTI_CONNECTIONS=1,16,64 for digits-v2-bin16 (16 images a request)
//   BENCH_SCENARIOS=iris-v1,iris-v2,digits-v1-json,digits-v2-bin,digits-v2-bin16
//   BENCH_OFF_SCENARIOS=...  scenarios also run with batching off (default: all)
//   BENCH_COMPUTE_SECONDS=2  per compute-ceiling setting
//   BENCH_BATCH_SIZES=1,8,32,128  BENCH_THREADS=1,2
//   BENCH_HOSTILE=0          skips the hostile-body phase
//   BENCH_VERSIONS=50        versions for the cost-of-versions phase (0 skips it)
//   BENCH_LOG_LEVEL=info     the service's LOG_LEVEL (its stdout goes to /dev/null)
//   BENCH_SERVICE_ENV='{"MAX_BATCH_SIZE":"64"}'  extra settings for every service started
//   BENCH_MAX_SECONDS=1800   hard limit for the whole run; children are stopped
//   BENCH_NOISY_CORES=0.25   cells where other processes used more CPU are marked noisy
//   BENCH_NOISY_RETRIES=2    noisy cells the targets read are measured again (quick: 0)
//   BENCH_REPORT=bench/results/latest.json  re-print a saved run, measure nothing
//   BENCH_PROFILE=digits-v1-json@64[:off]  instead of the run: one cell with the service
//                            under node --cpu-prof, then its top self-time functions
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cpuMeter, GENERATOR_BOUND_CORES, generatorBound } from './cpu.mjs';
import { measureHostileBody } from './hostile-body.mjs';
import { ensureWrk, runCell } from './load.mjs';
import { measureManyVersions } from './many-versions.mjs';
import { killAllNow, startChild, stopAll, stopChild, waitForMessage } from './processes.mjs';
import { summariseProfiles } from './profile.mjs';
import { probe, SCENARIOS } from './scenarios.mjs';
import { batchCounters, ROOT, serviceSetting, startService } from './service.mjs';
import { count, formatTable, mb, ms, ratio } from './table.mjs';

const env = process.env;
const QUICK = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
const list = (value, fallback) => (value ? value.split(',').map((s) => s.trim()).filter(Boolean) : fallback);
const numbers = (value, fallback) => list(value, fallback.map(String)).map(Number);

const settings = {
  quick: QUICK,
  seconds: Number(env.BENCH_SECONDS ?? (QUICK ? 1 : 5)),
  // Each HTTP process (2 by default) warms its own JIT on its share of the requests: measured in A/B runs,
  // the first 5 s cell after a 1 s warm-up still ran 25-30% slower with two processes, none after 3 s.
  warmupSeconds: QUICK ? 1 : 3,
  connections: numbers(env.BENCH_CONNECTIONS, QUICK ? [1, 64, 256] : [1, 16, 64, 256]),
  // 16 images a request: 256 connections would queue 4,096 instances, past the service's MAX_QUEUE_SIZE
  // (2,048), so 503s there would be by design, not a finding.
  multiConnections: numbers(env.BENCH_MULTI_CONNECTIONS, QUICK ? [16] : [1, 16, 64]),
  scenarios: list(env.BENCH_SCENARIOS, SCENARIOS.map((s) => s.id)),
  offScenarios: list(env.BENCH_OFF_SCENARIOS, QUICK ? ['digits-v2-bin'] : SCENARIOS.map((s) => s.id)),
  compute: {
    models: ['iris', 'digits'],
    batchSizes: numbers(env.BENCH_BATCH_SIZES, QUICK ? [1, 32] : [1, 8, 32, 128]),
    threads: numbers(env.BENCH_THREADS, QUICK ? [1] : [1, 2]),
    seconds: Number(env.BENCH_COMPUTE_SECONDS ?? (QUICK ? 0.5 : 2)),
    // The service runs inference in INFERENCE_WORKERS (default 2) worker threads.
    workers: 2,
  },
  hostile: env.BENCH_HOSTILE !== '0',
  versions: Number(env.BENCH_VERSIONS ?? (QUICK ? 20 : 50)),
  logLevel: env.BENCH_LOG_LEVEL ?? 'info',
  serviceEnv: env.BENCH_SERVICE_ENV ? JSON.parse(env.BENCH_SERVICE_ENV) : {},
  maxSeconds: Number(env.BENCH_MAX_SECONDS ?? 1800),
  noisyRetries: Number(env.BENCH_NOISY_RETRIES ?? (QUICK ? 0 : 2)),
  profile: env.BENCH_PROFILE,
};

/** The connection counts a scenario runs at. */
const connectionsFor = (scenario) => (scenario.rows > 1 ? settings.multiConnections : settings.connections);
/** The connection counts the targets read for a scenario: their cells are measured again when noisy. */
const targetConnections = (scenario) => (scenario.rows > 1 ? [16] : [64, 256]);

const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
/**
 * Cores used by other work on the machine above which a cell (or the compute
 * phase) is flagged as noisy: on 2 cores, a quarter core taken by someone
 * else's test run moves req/s by tens of percent.
 */
const NOISY_CORES = Number(env.BENCH_NOISY_CORES ?? 0.25);
const noisy = (cpu) => cpu !== undefined && cpu.others > NOISY_CORES;
const log = (line) => process.stderr.write(`${line}\n`);

/** Machine and versions, so a result file says where it came from. */
function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const pkg = (name) => JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  let commit = 'unknown';
  let dirty = false;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
  } catch {
    // not a git checkout
  }
  return {
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    kernel: os.release(),
    node: process.version,
    onnxruntimeNode: pkg('onnxruntime-node'),
    fastify: pkg('fastify'),
    // Filled in once wrk is known to be there (or installed).
    wrk: undefined,
    commit: dirty ? `${commit} + uncommitted src changes` : commit,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

const results = {
  startedAt: new Date().toISOString(),
  settings,
  machine: machine(),
  compute: undefined,
  available: {},
  cells: [],
  /** Noisier attempts of cells that were measured again. */
  discarded: [],
  hostile: undefined,
  manyVersions: undefined,
  targets: [],
  notes: [],
};

// ---------------------------------------------------------------- phases

async function computeCeiling() {
  log(`compute ceiling: onnxruntime-node ${results.machine.onnxruntimeNode} directly, batch sizes ${settings.compute.batchSizes}, intra-op threads ${settings.compute.threads}, and ${settings.compute.workers} worker threads`);
  const child = startChild(path.join(ROOT, 'bench', 'compute-ceiling.mjs'), [JSON.stringify(settings.compute)], { ipc: true, name: 'compute ceiling' });
  const meter = cpuMeter(child.child.pid);
  try {
    const settingsCount = settings.compute.batchSizes.length * (settings.compute.threads.length + 1) * settings.compute.models.length;
    const message = await waitForMessage(child, 'result', 60_000 + settingsCount * (settings.compute.seconds + 2) * 1000);
    // Other work on the machine during this phase lowers the ceiling, and so raises every ratio to it.
    return { ...message.result, cpu: meter() };
  } finally {
    await stopChild(child);
  }
}

/** Starts one service; probes every scenario (a /v2 404 is "not available"); keeps the answers for the HTTP ceiling. */
async function startServiceFor(batching, scenarioIds) {
  const label = `service batching=${batching ? 'on' : 'off'}`;
  const service = await startService({
    env: { ...settings.serviceEnv, ...(batching ? {} : { BATCHING_ENABLED: 'false' }) },
    logLevel: settings.logLevel,
    name: label,
  });
  log(`${label}: ready in ${(service.startupMs / 1000).toFixed(2)} s, pid ${service.pid}, RSS ${mb(await service.rssKb())} MB`);
  const answers = {};
  for (const id of scenarioIds) {
    const scenario = SCENARIOS.find((s) => s.id === id);
    const answer = await probe(service.url, scenario);
    if (answer.ok) {
      answers[id] = answer;
      results.available[id] ??= 'yes';
    } else if (scenario.api === 'v2' && answer.status === 404) {
      // The /v2 API is being finished elsewhere: its absence is a result, not a failure of the bench.
      results.available[id] = 'not available (404)';
      log(`  ${id}: not available (404): ${answer.body.slice(0, 120)}`);
    } else {
      throw new Error(`${label} ${id}: wrong answer (status ${answer.status}): ${answer.body.slice(0, 300)}`);
    }
  }
  return { label, batching, service, answers };
}

async function startHttpCeiling(answers, dir) {
  const routesFile = path.join(dir, 'routes.json');
  const routes = Object.keys(answers).map((id) => {
    const scenario = SCENARIOS.find((s) => s.id === id);
    return { path: scenario.path, requestBytes: Buffer.byteLength(scenario.body), contentType: answers[id].contentType, answerBase64: Buffer.from(answers[id].body).toString('base64') };
  });
  await writeFile(routesFile, JSON.stringify(routes));
  const child = startChild(path.join(ROOT, 'bench', 'ceiling-server.mjs'), [routesFile], { ipc: true, name: 'HTTP ceiling' });
  const { port } = await waitForMessage(child, 'listening', 30_000);
  log(`HTTP ceiling: bare Fastify ${results.machine.fastify}, pid ${child.child.pid}, same requests, constant answers of the service's size`);
  return { child, url: `http://127.0.0.1:${port}` };
}

/**
 * The HTTP ceiling and the services all run at once (idle while another is
 * measured) and their cells are interleaved: for each scenario and connection
 * count, ceiling, batching on, batching off, back to back. On this shared
 * machine, other work comes and goes over minutes; cells seconds apart see
 * about the same, so their ratios hold even when the absolute numbers move.
 */
async function serversPhase() {
  const on = await startServiceFor(true, settings.scenarios);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'onnx-bench-ceiling-'));
  const stops = [() => on.service.stop()];
  try {
    const offIds = settings.offScenarios.filter((id) => on.answers[id]);
    const off = offIds.length ? await startServiceFor(false, offIds) : undefined;
    if (off) stops.push(() => off.service.stop());
    const ceiling = await startHttpCeiling(on.answers, dir);
    stops.push(() => stopChild(ceiling.child));

    const servers = [
      { server: 'http-ceiling', label: 'HTTP ceiling', batching: undefined, url: ceiling.url, pid: ceiling.child.child.pid, ids: Object.keys(on.answers) },
      { server: 'service', label: on.label, batching: true, url: on.service.url, pid: on.service.pid, ids: Object.keys(on.answers) },
      ...(off ? [{ server: 'service', label: off.label, batching: false, url: off.service.url, pid: off.service.pid, ids: Object.keys(off.answers) }] : []),
    ];
    for (const scenario of SCENARIOS.filter((s) => on.answers[s.id])) {
      const mine = servers.filter((s) => s.ids.includes(scenario.id));
      // Warm-up (not recorded): JIT, first batches, connection set-up.
      for (const s of mine) await runCell({ url: s.url + scenario.path, scenario, connections: 16, seconds: settings.warmupSeconds, checkAnswers: s.server === 'service' });
      for (const connections of connectionsFor(scenario)) {
        // The cells the targets read are measured again when other work took CPU during any of them;
        // the quietest attempt is kept, the others go to results.discarded.
        const retries = targetConnections(scenario).includes(connections) ? settings.noisyRetries : 0;
        let kept;
        for (let attempt = 0; attempt <= retries; attempt++) {
          const trio = [];
          for (const s of mine) trio.push(await measureCell(s, scenario, connections));
          const loudness = Math.max(...trio.map((c) => c.cpu.others));
          if (!kept || loudness < kept.loudness) {
            if (kept) results.discarded.push(...kept.trio);
            kept = { trio, loudness };
          } else results.discarded.push(...trio);
          if (loudness <= NOISY_CORES) break;
          if (attempt < retries) log(`  others used ${loudness} cores during these cells: measuring them again (${attempt + 1}/${retries})`);
        }
        results.cells.push(...kept.trio);
      }
    }
    if (settings.hostile) {
      // Last, on the idle batching-on service: nothing else is in flight, and a service still busy with it
      // afterwards cannot disturb a cell.
      results.hostile = await measureHostileBody(on.service, serviceSetting('BODY_LIMIT_BYTES', settings.serviceEnv), log);
    }
    for (const s of [on, off].filter(Boolean)) {
      results.notes.push(`${s.label}: start-up ${(s.service.startupMs / 1000).toFixed(2)} s, RSS after its cells ${mb(await s.service.rssKb())} MB`);
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** One real request, its answer checked: a server measuring fast wrong answers (or 404s) is caught. */
async function checkAnswer(s, scenario, when) {
  const answer = await probe(s.url, scenario);
  if (!answer.ok) throw new Error(`${s.label} ${scenario.id}: wrong answer ${when} (status ${answer.status}): ${answer.body.slice(0, 300)}`);
}

/**
 * One measured cell, the answer checked with a real request just before and
 * just after it. wrk checks every answer of the service too (its Lua
 * response()); not the HTTP ceiling's, a constant captured from the service:
 * at its 30k+ req/s that callback would cost wrk about 15% more CPU (README).
 */
async function measureCell(s, scenario, connections) {
  await checkAnswer(s, scenario, `before the cell at ${connections} connections`);
  const load = os.loadavg()[0];
  const before = s.server === 'service' ? await batchCounters(s.url, scenario.model) : undefined;
  const meter = cpuMeter(s.pid);
  const cell = await runCell({ url: s.url + scenario.path, scenario, connections, seconds: settings.seconds, checkAnswers: s.server === 'service' });
  const cpu = meter(cell.generatorCpuSeconds);
  const after = before ? await batchCounters(s.url, scenario.model) : undefined;
  // Instances per inference during the cell (the probe before it adds one inference: negligible).
  const inferences = after ? after.count - before.count : undefined;
  const meanBatch = inferences ? (after.sum - before.sum) / inferences : undefined;
  const row = { server: s.server, batching: s.batching, scenario: scenario.id, model: scenario.model, ...cell, inferences, meanBatch, cpu, loadAverage1m: Math.round(load * 100) / 100 };
  log(
    `  ${s.label.padEnd(22)} ${scenario.id.padEnd(15)} @${String(connections).padStart(3)}: ${count(cell.reqPerSec).padStart(7)} req/s  p50 ${ms(cell.p50)}  p99 ${ms(cell.p99)} ms  errors ${cell.totalErrors}  cpu server ${cpu.server} / wrk ${cpu.loadGenerator} / others ${cpu.others}${generatorBound(cpu) ? '  GENERATOR-BOUND' : ''}`,
  );
  // The cell is kept even when the answer after it is wrong: the table shows what was measured before it broke.
  try {
    await checkAnswer(s, scenario, `after the cell at ${connections} connections`);
  } catch (error) {
    results.cells.push(row);
    throw error;
  }
  return row;
}

// ---------------------------------------------------------------- report

const cellOf = (server, scenario, connections, batching) =>
  results.cells.find((c) => c.server === server && c.scenario === scenario && c.connections === connections && (batching === undefined || c.batching === batching));

const computeBest = (model) => results.compute?.[model]?.best?.rowsPerSec;

function computeTable() {
  const rows = [];
  for (const [model, r] of Object.entries(results.compute ?? {}).filter(([key]) => key !== 'cpu')) {
    for (const x of r.single) {
      rows.push([model, '1 session', x.batch, x.intraOpThreads, count(x.rowsPerSec), ms(x.msPerRun), x === r.best ? '<- ceiling' : '']);
    }
    for (const x of r.parallel) {
      rows.push([model, `${x.workers} sessions in ${x.workers} workers`, x.batch, x.intraOpThreads, count(x.rowsPerSec), ms(x.msPerRun), x === r.bestParallel ? '<- best parallel' : '']);
    }
  }
  return formatTable(['model', 'mode', 'batch', 'intra-op threads', 'rows/s', 'ms/run', ''], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'l']);
}

function cellsTable() {
  const rows = [];
  const order = ['http-ceiling', 'service'];
  const sorted = [...results.cells].sort(
    (a, b) =>
      SCENARIOS.findIndex((s) => s.id === a.scenario) - SCENARIOS.findIndex((s) => s.id === b.scenario) ||
      order.indexOf(a.server) - order.indexOf(b.server) ||
      Number(b.batching ?? 1) - Number(a.batching ?? 1) ||
      a.connections - b.connections,
  );
  let previous;
  for (const c of sorted) {
    if (previous && previous !== c.scenario) rows.push([]);
    previous = c.scenario;
    const ceiling = cellOf('http-ceiling', c.scenario, c.connections);
    const server = c.server === 'http-ceiling' ? 'HTTP ceiling' : `service, batching ${c.batching ? 'on' : 'off'}`;
    rows.push([
      c.scenario,
      server,
      c.connections,
      count(c.reqPerSec),
      count(c.rowsPerSec),
      ms(c.p50),
      ms(c.p99),
      c.totalErrors,
      c.meanBatch === undefined ? '-' : c.meanBatch.toFixed(1),
      // The ceiling rows are the reference: a ratio to themselves, or to a compute ceiling they never touch, says nothing.
      c.server === 'http-ceiling' ? '-' : ceiling ? ratio(c.reqPerSec / ceiling.reqPerSec) : 'n/a',
      c.server === 'http-ceiling' ? '-' : ratio(c.rowsPerSec / computeBest(c.model)),
      `${c.cpu.server}/${c.cpu.loadGenerator}/${c.cpu.others}`,
      cellFlags(c),
    ]);
  }
  for (const [id, state] of Object.entries(results.available)) {
    if (state !== 'yes') rows.push([], [id, state]);
  }
  return formatTable(
    ['scenario', 'server', 'conns', 'req/s', 'rows/s', 'p50 ms', 'p99 ms', 'errors', 'batch', 'x HTTP ceil', 'x compute ceil', 'cpu srv/wrk/other', 'flags'],
    rows,
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  );
}

/** "!" other work took CPU during the cell; "generator-bound": wrk used most of a core, its req/s may be wrk's. */
const cellFlags = (c) => [noisy(c.cpu) && '!', generatorBound(c.cpu) && 'generator-bound'].filter(Boolean).join(' ');

function manyVersionsTable() {
  const m = results.manyVersions;
  if (!m) return '';
  const rows = [];
  for (const run of m.runs) {
    for (const [mode, cell] of Object.entries(run.cells)) {
      rows.push([
        run.versions,
        mode === 'spread' ? `random of ${run.versions}` : 'all to version 1',
        (run.readyMs / 1000).toFixed(2),
        Number.isFinite(run.allLoadedMs) ? (run.allLoadedMs / 1000).toFixed(2) : 'n/a',
        mb(run.rssIdleKb),
        mb(run.rssWarmKb),
        count(cell.reqPerSec),
        ms(cell.p50),
        ms(cell.p99),
        cell.totalErrors,
        cell.meanBatch === undefined ? '-' : cell.meanBatch.toFixed(1),
      ]);
    }
  }
  return (
    formatTable(
      ['versions', 'X-Model-Version', 'ready s', 'all loaded s', 'RSS idle MB', 'RSS warm MB', `req/s @${m.connections}`, 'p50 ms', 'p99 ms', 'errors', 'batch'],
      rows,
      ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ) + `\nmemory per loaded version (RSS after warm-up, (${m.versions} - 1) versions apart): ${(m.memoryPerVersionKb / 1024).toFixed(2)} MB`
  );
}

/** Why a target's cell is missing: the scenario answered 404, or it was not in this run's cells. */
function whyMissing(id) {
  const state = results.available[id];
  return state && state !== 'yes' ? `${id} ${state}` : 'not measured in this run';
}

/** How a target's input cell is named in a noisy or generator-bound note. */
const cellName = (x) => (x === results.compute ? 'compute ceiling' : `${x.server === 'http-ceiling' ? 'HTTP ceiling' : `service ${x.batching ? 'on' : 'off'}`} ${x.scenario}@${x.connections}`);

const errorDetail = (c) => `${c.totalErrors} errors (${c.errors} connection/timeout, ${c.non2xx} non-2xx, ${c.wrongAnswers} wrong)`;

/** Each target as one or more PASS/MISS lines; SKIP when a cell it needs was not measured. */
function evaluateTargets() {
  const targets = [];
  // A verdict resting on a cell where other work took CPU, or where wrk may have been the limit, is kept but
  // says so: it may flip in a quiet run, or with a cheaper generator.
  const add = (name, pass, detail, ...inputs) => {
    const loud = inputs.filter((x) => noisy(x?.cpu)).map((x) => `${cellName(x)} others ${x.cpu.others} cores`);
    const bound = inputs.filter((x) => generatorBound(x?.cpu)).map((x) => `${cellName(x)} wrk ${x.cpu.loadGenerator} cores`);
    const note = (loud.length ? ` [noisy: ${loud.join('; ')}]` : '') + (bound.length ? ` [generator-bound: ${bound.join('; ')}]` : '');
    targets.push({ name, result: pass === undefined ? 'SKIP' : pass ? 'PASS' : 'MISS', detail: detail + note, noisy: loud.length > 0, generatorBound: bound.length > 0 });
  };
  httpCeilingTargets(add);
  computeCeilingTargets(add);
  highConnectionTargets(add);
  hostileTargets(add);
  return targets;
}

/** iris /v1 and /v2 JSON at 64 connections against the bare-Fastify ceiling (same URL and body). */
function httpCeilingTargets(add) {
  const iris = cellOf('service', 'iris-v1', 64, true);
  const irisCeiling = cellOf('http-ceiling', 'iris-v1', 64);
  if (iris && irisCeiling) {
    const r = iris.reqPerSec / irisCeiling.reqPerSec;
    add('iris /v1 JSON, 64 conns: >= 50% of the HTTP ceiling req/s', r >= 0.5, `${count(iris.reqPerSec)} vs ${count(irisCeiling.reqPerSec)} req/s = ${ratio(r)}`, iris, irisCeiling);
    add('iris /v1 JSON, 64 conns: p99 within 3x the HTTP ceiling p99', iris.p99 <= 3 * irisCeiling.p99, `p99 ${ms(iris.p99)} ms vs ceiling ${ms(irisCeiling.p99)} ms = ${(iris.p99 / irisCeiling.p99).toFixed(2)}x`, iris, irisCeiling);
    add('iris /v1 JSON, 64 conns: zero errors', iris.totalErrors === 0, errorDetail(iris));
  } else add('iris /v1 JSON at 64 connections vs the HTTP ceiling', undefined, whyMissing('iris-v1'));

  const v2 = cellOf('service', 'iris-v2', 64, true);
  const v2Ceiling = cellOf('http-ceiling', 'iris-v2', 64);
  if (v2 && v2Ceiling) {
    const r = v2.reqPerSec / v2Ceiling.reqPerSec;
    add('iris /v2 JSON, 64 conns: >= 50% of the HTTP ceiling req/s', r >= 0.5, `${count(v2.reqPerSec)} vs ${count(v2Ceiling.reqPerSec)} req/s = ${ratio(r)}`, v2, v2Ceiling);
  } else add('iris /v2 JSON at 64 connections vs the HTTP ceiling', undefined, whyMissing('iris-v2'));
}

/** digits, images/s against the best single-process onnxruntime figure. */
function computeCeilingTargets(add) {
  const ceiling = computeBest('digits');
  const best = results.compute?.digits?.best;
  const cases = [
    ['digits-v2-bin', 64, 0.6, 'digits /v2 binary, 1 image/request, 64 conns: >= 60% of the compute ceiling'],
    ['digits-v2-bin16', 16, 0.85, 'digits /v2 binary, 16 images/request, 16 conns: >= 85% of the compute ceiling'],
    ['digits-v1-json', 64, 0.4, 'digits /v1 JSON 28x28, 64 conns: >= 40% of the compute ceiling'],
  ];
  for (const [id, connections, share, name] of cases) {
    const cell = cellOf('service', id, connections, true);
    if (!cell || !ceiling) {
      add(name, undefined, whyMissing(id));
      continue;
    }
    const r = cell.rowsPerSec / ceiling;
    add(name, r >= share, `${count(cell.rowsPerSec)} vs ${count(ceiling)} images/s (batch ${best.batch}, ${best.intraOpThreads} intra-op threads) = ${ratio(r)}`, cell, results.compute);
  }
}

/** Every service cell at 256 connections: no errors, and p99 at most 10x the same scenario's (and batching's) at 64. */
function highConnectionTargets(add) {
  const high = results.cells.filter((c) => c.server === 'service' && c.connections === 256);
  if (!high.length) {
    add('256 conns: zero errors, p99 <= 10x p99 at 64', undefined, 'not measured in this run');
    return;
  }
  for (const scenario of SCENARIOS.filter((x) => high.some((c) => c.scenario === x.id))) {
    const cells = high.filter((c) => c.scenario === scenario.id);
    const mode = (c) => `batching ${c.batching ? 'on' : 'off'}`;
    add(`${scenario.id}, 256 conns: zero errors`, cells.every((c) => c.totalErrors === 0), cells.map((c) => `${mode(c)}: ${errorDetail(c)}`).join('; '));
    const pairs = cells.map((c) => [c, cellOf('service', c.scenario, 64, c.batching)]);
    if (pairs.some(([, mid]) => !mid)) {
      add(`${scenario.id}, 256 conns: p99 <= 10x p99 at 64 conns`, undefined, 'no cell at 64 connections in this run');
      continue;
    }
    add(
      `${scenario.id}, 256 conns: p99 <= 10x p99 at 64 conns`,
      pairs.every(([h, mid]) => h.p99 <= 10 * mid.p99),
      pairs.map(([h, mid]) => `${mode(h)}: ${ms(h.p99)} vs ${ms(mid.p99)} ms = ${(h.p99 / mid.p99).toFixed(2)}x`).join('; '),
      ...pairs.flat(),
    );
  }
}

function hostileTargets(add) {
  const h = results.hostile;
  const name = 'hostile 1 MB body of {} inputs to /v2/models/iris/infer';
  if (!h) {
    add(name, undefined, settings.hostile === false ? 'BENCH_HOSTILE=0' : 'not measured in this run');
    return;
  }
  const a = h.alone;
  const answered = a.status === undefined ? `no answer within ${ms(a.wallMs)} ms` : `${a.status} in ${ms(a.wallMs)} ms`;
  add(`${name}: 4xx in < 100 ms`, a.status >= 400 && a.status < 500 && a.wallMs < 100, `${answered}, service main thread ${ms(a.mainThreadCpuMs)} ms CPU; ${h.bytes} bytes, ${h.objects} objects, BODY_LIMIT_BYTES ${h.bodyLimit ?? 'unknown'}`);
  const p = h.polled;
  if (!p) {
    add(`${name}: /health/live polls < 50 ms meanwhile`, undefined, h.note);
    return;
  }
  // A body answered between two polls overlaps none: then its own wall time bounds how long the loop was held.
  const held = p.polls > 0 ? p.maxPollMs : p.wallMs;
  add(
    `${name}: /health/live every ${h.pollEveryMs} ms answers each poll in < 50 ms meanwhile`,
    held < 50 && p.failedPolls === 0,
    `slowest of ${p.polls} polls ${ms(p.maxPollMs)} ms (${p.pollsOver50Ms} >= 50 ms, ${p.failedPolls} failed; idle poll ${ms(p.idleMaxPollMs)} ms); body answered ${p.status ?? 'never'} in ${ms(p.wallMs)} ms`,
  );
}

function hostileLines() {
  const h = results.hostile;
  const lines = [`${h.bytes} bytes of {"inputs":[{},{},...]} (${h.objects} objects) to /v2/models/iris/infer; the service's BODY_LIMIT_BYTES ${h.bodyLimit ?? 'unknown'}`];
  const a = h.alone;
  lines.push(`alone:       ${a.status ?? 'no answer'} after ${ms(a.wallMs)} ms (client wall time), service main thread ${ms(a.mainThreadCpuMs)} ms CPU; answer: ${a.answer}`);
  const p = h.polled;
  if (p) lines.push(`with polls:  ${p.status ?? 'no answer'} after ${ms(p.wallMs)} ms; GET /health/live every ${h.pollEveryMs} ms meanwhile: ${p.polls} polls, slowest ${ms(p.maxPollMs)} ms, ${p.pollsOver50Ms} at 50 ms or more, ${p.failedPolls} failed (idle: ${ms(p.idleMaxPollMs)} ms)`);
  else lines.push(`with polls:  ${h.note}`);
  return lines;
}

function report() {
  const m = results.machine;
  const out = [];
  out.push('');
  out.push(`machine: ${m.cpu}, ${m.cores} cores, ${m.memoryMb} MB, Linux ${m.kernel}; Node ${m.node}, onnxruntime-node ${m.onnxruntimeNode}, fastify ${m.fastify}, ${m.wrk ? `wrk ${m.wrk}` : 'wrk missing'}; commit ${m.commit}`);
  out.push(`load average at start: ${m.loadAverageAtStart.join(' ')} (other work on this machine competes for the same ${m.cores} cores)`);
  out.push(`cells: wrk, 1 thread, ${settings.seconds} s each after a ${settings.warmupSeconds} s warm-up per scenario, one request in flight per connection; service LOG_LEVEL=${settings.logLevel}${Object.keys(settings.serviceEnv).length ? `, ${JSON.stringify(settings.serviceEnv)}` : ''}`);
  out.push('');
  if (results.compute) {
    out.push('Compute ceiling (onnxruntime-node in its own process; rows/s = instances per second)');
    out.push(computeTable());
    const c = results.compute.cpu;
    if (c) out.push(`cpu during this phase: onnxruntime process ${c.server} cores, everything else on the machine ${c.others} cores (of ${m.cores})${noisy(c) ? ' ! noisy: the ceiling is lower than on a quiet machine, ratios to it higher' : ''}`);
    out.push('');
  }
  if (results.cells.length) {
    out.push(
      `Service vs ceilings ("batch": mean instances per inference, from the service's model_batch_size metric; "x HTTP ceil": req/s over the bare-Fastify req/s at the same connections; "x compute ceil": rows/s over the best single-process onnxruntime rows/s of that model; cpu: cores used by server / wrk / everything else during the cell; flags: "!" everything else used more than ${NOISY_CORES} cores, "generator-bound" wrk used more than ${GENERATOR_BOUND_CORES} of a core, so the cell may have measured wrk)`,
    );
    out.push(cellsTable());
    out.push('');
  }
  if (results.hostile) {
    out.push('Hostile body (on the idle batching-on service, after its cells)');
    out.push(hostileLines().join('\n'));
    out.push('');
  }
  if (results.manyVersions) {
    out.push(`Cost of versions (iris, /v1, 1 instance per request, ${results.manyVersions.connections} connections)`);
    out.push(manyVersionsTable());
    out.push('');
  }
  if (results.targets.length) {
    out.push('Targets');
    for (const t of results.targets) out.push(`${t.result.padEnd(4)}  ${t.name}: ${t.detail}`);
    const loud = results.targets.filter((t) => t.noisy).length;
    if (loud) out.push(`${loud} verdict(s) rest on cells where other work used more than ${NOISY_CORES} cores (cells marked "!"): re-run when the machine is quiet before trusting them.`);
    const bound = results.targets.filter((t) => t.generatorBound).length;
    if (bound) out.push(`${bound} verdict(s) rest on generator-bound cells: wrk itself used most of a core there, so their req/s may be wrk's limit, not the server's.`);
    out.push('');
  }
  for (const note of results.notes) out.push(`note: ${note}`);
  if (results.error) out.push(`\nBENCH FAILED: ${results.error}`);
  return out.join('\n');
}

async function saveResults() {
  await mkdir(RESULTS_DIR, { recursive: true });
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const text = JSON.stringify(results, null, 2);
  const file = path.join(RESULTS_DIR, `${stamp}.json`);
  await writeFile(file, text);
  await writeFile(path.join(RESULTS_DIR, 'latest.json'), text);
  return file;
}

// ---------------------------------------------------------------- profile mode

async function profileOneCell(spec) {
  const [where, mode] = spec.split(':');
  const [id, connectionsText] = where.split('@');
  const scenario = SCENARIOS.find((s) => s.id === id);
  if (!scenario) throw new Error(`BENCH_PROFILE: unknown scenario "${id}" (one of ${SCENARIOS.map((s) => s.id).join(', ')})`);
  const connections = Number(connectionsText ?? 64);
  const batching = mode !== 'off';
  const dir = path.join(RESULTS_DIR, `profile-${results.startedAt.replace(/[:.]/g, '-')}`);
  await mkdir(dir, { recursive: true });
  log(`profiling ${id} @${connections}, batching ${batching ? 'on' : 'off'}: node --cpu-prof, profiles in ${path.relative(ROOT, dir)}`);
  const service = await startService({
    env: { ...settings.serviceEnv, ...(batching ? {} : { BATCHING_ENABLED: 'false' }) },
    // Worker threads inherit --cpu-prof and write their own profile when they exit.
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
    logLevel: settings.logLevel,
    name: 'service (profiled)',
  });
  let cell;
  let cellStart;
  let cellEnd;
  try {
    const answer = await probe(service.url, scenario);
    if (!answer.ok) throw new Error(`${id}: wrong answer (status ${answer.status}): ${answer.body.slice(0, 300)}`);
    await runCell({ url: service.url + scenario.path, scenario, connections, seconds: settings.warmupSeconds });
    const meter = cpuMeter(service.pid);
    cellStart = performance.now();
    cell = await runCell({ url: service.url + scenario.path, scenario, connections, seconds: settings.seconds });
    cellEnd = performance.now();
    cell.cpu = meter(cell.generatorCpuSeconds);
  } finally {
    // SIGTERM: the service shuts down gracefully, so every thread writes its profile.
    await service.stop();
  }
  // Profiles end when the process exits: the cell is the window that long before the end (start-up left out).
  const exited = performance.now();
  const window = [exited - cellStart, exited - cellEnd];
  const summary = await summariseProfiles(dir, 25, window);
  console.log(`\n${id} @${connections}, batching ${batching ? 'on' : 'off'}: ${count(cell.reqPerSec)} req/s, p50 ${ms(cell.p50)} ms, p99 ${ms(cell.p99)} ms, errors ${cell.totalErrors}, cpu server ${cell.cpu.server} / wrk ${cell.cpu.loadGenerator} / others ${cell.cpu.others} cores (the profiler itself slows the service)\n`);
  console.log(summary.text);
  await writeFile(path.join(dir, 'summary.json'), JSON.stringify({ scenario: id, connections, batching, cell, threads: summary.threads }, null, 2));
}

// ---------------------------------------------------------------- main

async function main() {
  if (!existsSync(path.join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js not found: run "npm run bench" (it builds first) or "npm run build"');
  if (settings.profile) return profileOneCell(settings.profile);

  results.compute = await computeCeiling();
  for (const model of settings.compute.models) {
    const b = results.compute[model].best;
    log(`  ${model}: best ${count(b.rowsPerSec)} rows/s at batch ${b.batch}, ${b.intraOpThreads} intra-op thread(s); 2 workers: ${count(results.compute[model].bestParallel?.rowsPerSec)} rows/s at batch ${results.compute[model].bestParallel?.batch}`);
  }
  await serversPhase();
  if (settings.versions > 1) {
    log(`cost of versions: 1 vs ${settings.versions} versions of iris`);
    results.manyVersions = await measureManyVersions({
      scenario: SCENARIOS.find((s) => s.id === 'iris-v1'),
      versions: settings.versions,
      seconds: settings.seconds,
      connections: 64,
      logLevel: settings.logLevel,
      log,
      readyTimeoutMs: 180_000,
    });
  }
}

// Whatever happens, children stop: on a signal, on the time limit, and at exit.
process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log(`\n${signal}: stopping children`);
    stopAll().finally(() => process.exit(130));
  });
}
const watchdog = setTimeout(async () => {
  log(`\nBENCH_MAX_SECONDS=${settings.maxSeconds} reached: stopping children`);
  await stopAll();
  // What was measured so far is kept: a partial run still tells something.
  results.error = `stopped at BENCH_MAX_SECONDS=${settings.maxSeconds}`;
  if (!settings.profile) await saveResults().catch(() => undefined);
  process.exit(2);
}, settings.maxSeconds * 1000);
watchdog.unref();

if (env.BENCH_REPORT) {
  // Re-prints a saved run (table, targets with today's rules) without measuring anything.
  const saved = JSON.parse(readFileSync(path.resolve(env.BENCH_REPORT), 'utf8'));
  Object.assign(results, saved, { targets: [] });
  Object.assign(settings, saved.settings);
  results.targets = evaluateTargets();
  console.log(report());
  process.exit(0);
}

// Without a load generator nothing can be measured: say so and stop, before any child is started.
try {
  results.machine.wrk = ensureWrk(log);
} catch (error) {
  console.error(`bench: ${error.message}`);
  process.exit(1);
}

try {
  await main();
} catch (error) {
  results.error = error.stack ?? String(error);
  process.exitCode = 1;
} finally {
  await stopAll();
}
if (!settings.profile) {
  results.finishedAt = new Date().toISOString();
  results.targets = evaluateTargets();
  console.log(report());
  const file = await saveResults();
  console.log(`\nresults: ${path.relative(ROOT, file)} and bench/results/latest.json`);
} else if (results.error) {
  console.error(results.error);
}
