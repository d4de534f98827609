// The performance targets (docs/performance.md, "Benchmarks": the Target table),
// each evaluated from one run's results as PASS/MISS lines, SKIP when a cell it
// needs was not measured.
// The evaluation reads the results only, so BENCH_REPORT re-evaluates a saved
// run with today's rules.
import { generatorBound } from './cpu.mjs';
import { cellOf, computeBest, perServerCore } from './results.mjs';
import { SCENARIOS } from './scenarios.mjs';
import { noisy } from './settings.mjs';
import { count, ms, ratio } from './table.mjs';

/** The connection counts the targets read for a scenario: their cells are measured again when noisy. */
export const targetConnections = (scenario) => (scenario.rows > 1 ? [16] : [64, 256]);

/** Each target as one or more PASS/MISS lines; SKIP when a cell it needs was not measured. */
export function evaluateTargets(results, settings) {
  const targets = [];
  // A verdict resting on a cell where other work took CPU, or where wrk may have been the limit, is kept but
  // says so: it may flip in a quiet run, or with a cheaper generator.
  const add = (name, pass, detail, ...inputs) => {
    const loud = inputs.filter((x) => noisy(x?.cpu)).map((x) => `${cellName(results, x)} others ${x.cpu.others} cores`);
    const bound = inputs.filter((x) => generatorBound(x?.cpu)).map((x) => `${cellName(results, x)} ${x.generator === 'grpc-load' ? 'grpc-load' : 'wrk'} ${x.cpu.loadGenerator} cores`);
    const note = (loud.length ? ` [noisy: ${loud.join('; ')}]` : '') + (bound.length ? ` [generator-bound: ${bound.join('; ')}]` : '');
    targets.push({ name, result: pass === undefined ? 'SKIP' : pass ? 'PASS' : 'MISS', detail: detail + note, noisy: loud.length > 0, generatorBound: bound.length > 0 });
  };
  httpCeilingTargets(results, add);
  computeCeilingTargets(results, add);
  peerTargets(results, settings, add);
  grpcPerCoreTargets(results, add);
  highConnectionTargets(results, add);
  hostileTargets(results, settings, add);
  return targets;
}

/** Why a target's cell is missing: the scenario answered 404, or it was not in this run's cells. */
function whyMissing(results, id) {
  const state = results.available[id];
  return state && state !== 'yes' ? `${id} ${state}` : 'not measured in this run';
}

/** How a target's input cell is named in a noisy or generator-bound note. */
const cellName = (results, x) => (x === results.compute ? 'compute ceiling' : `${serverName(x)} ${x.scenario}@${x.connections}`);
const serverName = (x) => ({ 'http-ceiling': 'HTTP ceiling', peer: 'peer' })[x.server] ?? `service ${x.batching ? 'on' : 'off'}`;

const errorDetail = (c) => `${c.totalErrors} errors (${c.errors} connection/timeout, ${c.non2xx} non-2xx, ${c.wrongAnswers} wrong)`;

/** iris /v1 and /v2 JSON at 64 connections against the bare-Fastify ceiling (same URL and body). */
function httpCeilingTargets(results, add) {
  const iris = cellOf(results, 'service', 'iris-v1', 64, true);
  const irisCeiling = cellOf(results, 'http-ceiling', 'iris-v1', 64);
  if (iris && irisCeiling) {
    const r = iris.reqPerSec / irisCeiling.reqPerSec;
    add('iris /v1 JSON, 64 conns: >= 50% of the HTTP ceiling req/s', r >= 0.5, `${count(iris.reqPerSec)} vs ${count(irisCeiling.reqPerSec)} req/s = ${ratio(r)}`, iris, irisCeiling);
    add('iris /v1 JSON, 64 conns: p99 within 3x the HTTP ceiling p99', iris.p99 <= 3 * irisCeiling.p99, `p99 ${ms(iris.p99)} ms vs ceiling ${ms(irisCeiling.p99)} ms = ${(iris.p99 / irisCeiling.p99).toFixed(2)}x`, iris, irisCeiling);
    add('iris /v1 JSON, 64 conns: zero errors', iris.totalErrors === 0, errorDetail(iris));
  } else add('iris /v1 JSON at 64 connections vs the HTTP ceiling', undefined, whyMissing(results, 'iris-v1'));

  const v2 = cellOf(results, 'service', 'iris-v2', 64, true);
  const v2Ceiling = cellOf(results, 'http-ceiling', 'iris-v2', 64);
  if (v2 && v2Ceiling) {
    const r = v2.reqPerSec / v2Ceiling.reqPerSec;
    add('iris /v2 JSON, 64 conns: >= 50% of the HTTP ceiling req/s', r >= 0.5, `${count(v2.reqPerSec)} vs ${count(v2Ceiling.reqPerSec)} req/s = ${ratio(r)}`, v2, v2Ceiling);
  } else add('iris /v2 JSON at 64 connections vs the HTTP ceiling', undefined, whyMissing(results, 'iris-v2'));
}

/** digits, images/s against the best single-process onnxruntime figure. */
function computeCeilingTargets(results, add) {
  const ceiling = computeBest(results, 'digits');
  const best = results.compute?.digits?.best;
  const cases = [
    ['digits-v2-bin', 64, 0.6, 'digits /v2 binary, 1 image/request, 64 conns: >= 60% of the compute ceiling'],
    ['digits-v2-bin16', 16, 0.85, 'digits /v2 binary, 16 images/request, 16 conns: >= 85% of the compute ceiling'],
    ['digits-v1-json', 64, 0.4, 'digits /v1 JSON 28x28, 64 conns: >= 40% of the compute ceiling'],
  ];
  for (const [id, connections, share, name] of cases) {
    const cell = cellOf(results, 'service', id, connections, true);
    if (!cell || !ceiling) {
      add(name, undefined, whyMissing(results, id));
      continue;
    }
    const r = cell.rowsPerSec / ceiling;
    add(name, r >= share, `${count(cell.rowsPerSec)} vs ${count(ceiling)} images/s (batch ${best.batch}, ${best.intraOpThreads} intra-op threads) = ${ratio(r)}`, cell, results.compute);
  }
}

/** The peer's cells the targets read; the service's are its batching-on cells (default settings). */
const PEER_CASES = [
  ['digits-v2-bin', 64, 'digits /v2 binary, 1 image/request, 64 conns'],
  ['digits-v2-bin16', 16, 'digits /v2 binary, 16 images/request, 16 conns'],
];

/**
 * /health/live's p99 under full load (the target): far inside the kubelet's 1 s default timeout,
 * and only met when the event loop is never held long, whatever the load.
 */
const LIVE_P99_MS = 20;

const liveDetail = (live) => (live ? `p99 ${ms(live.p99)} ms (max ${ms(live.max)}, ${live.count} polls, ${live.failures} failed)` : 'not polled');

/**
 * The service against the hand-written peer (peer-server.mjs), their cells
 * seconds apart in one run: at least the peer's images/s, no worse a p99; and
 * /health/live answered within 20 ms (p99) meanwhile, which a server running
 * its model on the event loop cannot promise.
 */
function peerTargets(results, settings, add) {
  const noPeer = settings.peer?.enabled === false ? 'BENCH_PEER=0' : 'not measured in this run';
  for (const [id, connections, what] of PEER_CASES) {
    const service = cellOf(results, 'service', id, connections, true);
    const peer = cellOf(results, 'peer', id, connections);
    if (service && peer) {
      const r = service.rowsPerSec / peer.rowsPerSec;
      add(`${what}: service images/s >= 1.0x the hand-written peer's`, r >= 1, `${count(service.rowsPerSec)} vs ${count(peer.rowsPerSec)} images/s = ${r.toFixed(2)}x`, service, peer);
      add(`${what}: service p99 <= the hand-written peer's p99`, service.p99 <= peer.p99, `p99 ${ms(service.p99)} vs ${ms(peer.p99)} ms`, service, peer);
    } else add(`${what}: the service vs the hand-written peer`, undefined, service ? `hand-written peer: ${noPeer}` : whyMissing(results, id));
    // The service's own rule: evaluated without the peer too; the peer's figure beside it when measured.
    const name = `${what}: /health/live p99 <= ${LIVE_P99_MS} ms during the service's cell`;
    if (!service?.live) {
      add(name, undefined, service ? 'no /health/live polls in this run' : whyMissing(results, id));
      continue;
    }
    add(name, service.live.p99 <= LIVE_P99_MS, `service ${liveDetail(service.live)}, polled every ${service.live.everyMs} ms; hand-written peer: ${peer ? liveDetail(peer.live) : noPeer}`, service);
  }
}

/**
 * gRPC against REST /v2 binary per core of the service (batching on), their
 * cells seconds apart: the gRPC generator takes CPU the server would have on
 * 2 cores, so images/s alone understates gRPC; images/s per core the service
 * used compares what each protocol's path costs the service.
 */
function grpcPerCoreTargets(results, add) {
  for (const [grpcId, connections] of [['digits-grpc', 64], ['digits-grpc16', 16]]) {
    const restId = SCENARIOS.find((s) => s.id === grpcId).pairedWith;
    const name = `${grpcId} @${connections}: gRPC images/s per service core >= 0.9x ${restId}'s`;
    const g = cellOf(results, 'service', grpcId, connections, true);
    const rest = cellOf(results, 'service', restId, connections, true);
    if (!g || !rest) {
      add(name, undefined, whyMissing(results, g ? restId : grpcId));
      continue;
    }
    const r = perServerCore(g) / perServerCore(rest);
    const figures = (c) => `${count(c.rowsPerSec)} images/s on ${c.cpu.server} cores = ${count(perServerCore(c))} per core`;
    add(name, r >= 0.9, `gRPC ${figures(g)}; REST ${figures(rest)}; ${r.toFixed(2)}x`, g, rest);
  }
}

/** Every service cell at 256 connections: no errors, and p99 at most 10x the same scenario's (and batching's) at 64. */
function highConnectionTargets(results, add) {
  const high = results.cells.filter((c) => c.server === 'service' && c.connections === 256);
  if (!high.length) {
    add('256 conns: zero errors, p99 <= 10x p99 at 64', undefined, 'not measured in this run');
    return;
  }
  for (const scenario of SCENARIOS.filter((x) => high.some((c) => c.scenario === x.id))) {
    const cells = high.filter((c) => c.scenario === scenario.id);
    const mode = (c) => `batching ${c.batching ? 'on' : 'off'}`;
    add(`${scenario.id}, 256 conns: zero errors`, cells.every((c) => c.totalErrors === 0), cells.map((c) => `${mode(c)}: ${errorDetail(c)}`).join('; '));
    const pairs = cells.map((c) => [c, cellOf(results, 'service', c.scenario, 64, c.batching)]);
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

/** The hostile body: a fast 4xx, and /health/live answered meanwhile. */
function hostileTargets(results, settings, add) {
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
