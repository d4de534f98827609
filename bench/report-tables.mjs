// The report's tables, from a run's results: the compute ceiling, the
// servers' cells against both ceilings, the cost of versions.
import { generatorBound } from './cpu.mjs';
import { cellOf, computeBest, perServerCore } from './results.mjs';
import { SCENARIOS } from './scenarios.mjs';
import { noisy } from './settings.mjs';
import { count, formatTable, mb, ms, ratio } from './table.mjs';

export function computeTable(results) {
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

/** "!" other work took CPU during the cell; "generator-bound": the load generator used most of a core, its req/s may be the generator's. */
const cellFlags = (c) => [noisy(c.cpu) && '!', generatorBound(c.cpu) && 'generator-bound'].filter(Boolean).join(' ');

/** The servers in the order their cells are measured: ceiling, batching on, peer, batching off. */
const serverRank = (c) => (c.server === 'http-ceiling' ? 0 : c.server === 'peer' ? 2 : c.batching ? 1 : 3);

/** /health/live's p99 during a cell, "-" for cells of runs before it was polled. */
const liveP99 = (c) => (c.live ? `${ms(c.live.p99)}${c.live.failures ? ` (${c.live.failures} failed)` : ''}` : '-');

const cpuCores = (c) => `${c.cpu.server}/${c.cpu.loadGenerator}/${c.cpu.others}`;

export function cellsTable(results) {
  const rows = [];
  const sorted = [...results.cells].sort(
    (a, b) =>
      SCENARIOS.findIndex((s) => s.id === a.scenario) - SCENARIOS.findIndex((s) => s.id === b.scenario) ||
      serverRank(a) - serverRank(b) ||
      a.connections - b.connections,
  );
  let previous;
  for (const c of sorted) {
    if (previous && previous !== c.scenario) rows.push([]);
    previous = c.scenario;
    const ceiling = cellOf(results, 'http-ceiling', c.scenario, c.connections);
    const grpc = c.generator === 'grpc-load';
    const server = c.server === 'http-ceiling' ? 'HTTP ceiling' : c.server === 'peer' ? 'hand-written peer' : `service${grpc ? ' gRPC' : ''}, batching ${c.batching ? 'on' : 'off'}`;
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
      // gRPC has no bare-server ceiling here: its cells compare with the compute ceiling and with their REST pair.
      c.server === 'http-ceiling' || grpc ? '-' : ceiling ? ratio(c.reqPerSec / ceiling.reqPerSec) : 'n/a',
      c.server === 'http-ceiling' ? '-' : ratio(c.rowsPerSec / computeBest(results, c.model)),
      liveP99(c),
      cpuCores(c),
      cellFlags(c),
    ]);
  }
  for (const [id, state] of Object.entries(results.available)) {
    if (state !== 'yes') rows.push([], [id, state]);
  }
  return formatTable(
    ['scenario', 'server', 'conns', 'req/s', 'rows/s', 'p50 ms', 'p99 ms', 'errors', 'batch', 'x HTTP ceil', 'x compute ceil', 'live p99 ms', 'cpu srv/gen/other', 'flags'],
    rows,
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  );
}

/**
 * The service (batching on) beside the hand-written peer, for each scenario and connection count the
 * peer was measured at: images/s and their ratio, p99, /health/live's p99 during each cell, CPU. Empty
 * when the run has no peer cells (BENCH_PEER=0, other scenarios, or a results file from before the peer).
 */
export function peerTable(results) {
  const rows = [];
  for (const peer of results.cells.filter((c) => c.server === 'peer')) {
    const service = cellOf(results, 'service', peer.scenario, peer.connections, true);
    const both = (f) => `${service ? f(service) : 'n/a'} / ${f(peer)}`;
    rows.push([
      peer.scenario,
      peer.connections,
      service ? count(service.rowsPerSec) : 'n/a',
      count(peer.rowsPerSec),
      service ? `${(service.rowsPerSec / peer.rowsPerSec).toFixed(2)}x` : 'n/a',
      both((c) => ms(c.p99)),
      both(liveP99),
      service ? cpuCores(service) : 'n/a',
      cpuCores(peer),
      both((c) => c.totalErrors),
      [...new Set([service, peer].filter(Boolean).flatMap((c) => cellFlags(c).split(' ')).filter(Boolean))].join(' '),
    ]);
  }
  if (!rows.length) return '';
  return formatTable(
    ['scenario', 'conns', 'service images/s', 'peer images/s', 'service / peer', 'p99 ms service / peer', 'live p99 ms service / peer', 'cpu srv/gen/other service', 'cpu srv/gen/other peer', 'errors service / peer', 'flags'],
    rows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  );
}

/** The generator's cores in a cell, and its CPU per request: "0.52 (880 µs)". */
const generatorCost = (c) => `${c.cpu.loadGenerator} (${count((c.cpu.loadGenerator / c.reqPerSec) * 1e6)} µs)`;

/** Each gRPC cell beside its REST pair's (same batching, same connections): images/s, both ratios to the compute ceiling. */
export function grpcBesideRestTable(results) {
  const rows = [];
  for (const g of results.cells.filter((c) => c.generator === 'grpc-load')) {
    const pair = SCENARIOS.find((s) => s.id === g.scenario)?.pairedWith;
    const rest = pair && cellOf(results, 'service', pair, g.connections, g.batching);
    const ceiling = computeBest(results, g.model);
    rows.push([
      `${pair ?? '-'} / ${g.scenario}`,
      g.batching ? 'on' : 'off',
      g.connections,
      rest ? count(rest.rowsPerSec) : 'n/a',
      rest ? ratio(rest.rowsPerSec / ceiling) : 'n/a',
      count(g.rowsPerSec),
      ratio(g.rowsPerSec / ceiling),
      rest ? ratio(g.rowsPerSec / rest.rowsPerSec) : 'n/a',
      rest ? ratio(perServerCore(g) / perServerCore(rest)) : 'n/a',
      rest ? `${ms(rest.p99)} / ${ms(g.p99)}` : ms(g.p99),
      `${rest ? generatorCost(rest) : '-'} / ${generatorCost(g)}`,
      [...new Set([rest, g].filter(Boolean).flatMap((c) => cellFlags(c).split(' ')).filter(Boolean))].join(' '),
    ]);
  }
  if (!rows.length) return '';
  return formatTable(
    ['REST / gRPC', 'batching', 'conns', 'REST rows/s', 'x compute', 'gRPC rows/s', 'x compute', 'gRPC / REST', 'per server core', 'p99 ms REST / gRPC', 'gen cores (CPU/req) REST / gRPC', 'flags'],
    rows,
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  );
}

export function manyVersionsTable(results) {
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
