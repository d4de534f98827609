// The report's tables, from a run's results: the compute ceiling, the
// servers' cells against both ceilings, the cost of versions.
import { generatorBound } from './cpu.mjs';
import { cellOf, computeBest } from './results.mjs';
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

export function cellsTable(results) {
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
    const ceiling = cellOf(results, 'http-ceiling', c.scenario, c.connections);
    const grpc = c.generator === 'grpc-load';
    const server = c.server === 'http-ceiling' ? 'HTTP ceiling' : `service${grpc ? ' gRPC' : ''}, batching ${c.batching ? 'on' : 'off'}`;
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
      `${c.cpu.server}/${c.cpu.loadGenerator}/${c.cpu.others}`,
      cellFlags(c),
    ]);
  }
  for (const [id, state] of Object.entries(results.available)) {
    if (state !== 'yes') rows.push([], [id, state]);
  }
  return formatTable(
    ['scenario', 'server', 'conns', 'req/s', 'rows/s', 'p50 ms', 'p99 ms', 'errors', 'batch', 'x HTTP ceil', 'x compute ceil', 'cpu srv/gen/other', 'flags'],
    rows,
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
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
      rest ? `${ms(rest.p99)} / ${ms(g.p99)}` : ms(g.p99),
      `${rest ? generatorCost(rest) : '-'} / ${generatorCost(g)}`,
      [...new Set([rest, g].filter(Boolean).flatMap((c) => cellFlags(c).split(' ')).filter(Boolean))].join(' '),
    ]);
  }
  if (!rows.length) return '';
  return formatTable(
    ['REST / gRPC', 'batching', 'conns', 'REST rows/s', 'x compute', 'gRPC rows/s', 'x compute', 'gRPC / REST', 'p99 ms REST / gRPC', 'gen cores (CPU/req) REST / gRPC', 'flags'],
    rows,
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
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
