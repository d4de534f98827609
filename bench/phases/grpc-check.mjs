// The gRPC generator check, once per run, on the batching-on service: is the
// Node load generator (grpc-load.mjs) what limits a gRPC cell? The same cell
// is measured with one generator process (BENCH_GRPC_GENERATORS), with two
// (each half the calls in flight and half the channels, so the server sees
// the same load), and with one again, back to back. If two processes get no
// more throughput than one, one was not the limit. The CPU each generator
// process used is shown beside it.
import { log } from '../log.mjs';
import { connectionsFor, noisy } from '../settings.mjs';
import { count } from '../table.mjs';
import { measureCell } from './servers-cell.mjs';

/** Resolves { scenario, connections, one: [cell, cell], two: cell, ratio, spread, tolerance, notTheLimit (undefined: inconclusive), verdict }. */
export async function generatorCheck(server, scenario, run) {
  const { settings } = run;
  const options = connectionsFor(scenario);
  const connections = options.includes(64) ? 64 : Math.max(...options);
  const tolerance = settings.grpc.checkTolerance;
  const base = settings.grpc.generators;
  log(`gRPC generator check: ${scenario.id} @${connections} on the ${server.label} service with ${base}, ${2 * base}, then ${base} generator process(es)`);
  const first = await measureCell(server, scenario, connections, run, base);
  const two = await measureCell(server, scenario, connections, run, 2 * base);
  const second = await measureCell(server, scenario, connections, run, base);
  const check = { scenario: scenario.id, connections, server: server.label, generators: base, one: [first, second], two, tolerance };
  Object.assign(check, judge(check));
  log(`  ${check.verdict}`);
  return check;
}

/**
 * The verdict from the three cells. Two generators are compared with the mean of the one-generator
 * cells around them (which cancels a steady drift of the machine's speed); when those two differ from
 * each other by more than the tolerance, the machine moved too much for the check to tell.
 */
function judge({ scenario, connections, generators: base, one, two, tolerance }) {
  const single = (one[0].reqPerSec + one[1].reqPerSec) / 2;
  const ratio = two.reqPerSec / single;
  const spread = Math.abs(one[0].reqPerSec - one[1].reqPerSec) / single;
  const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  const busiest = Math.max(...one.flatMap((c) => c.generatorCores));
  const n = (k) => `${k} generator${k > 1 ? 's' : ''}`;
  const figures =
    `${scenario} @${connections}: ${n(base)} ${one.map((c) => `${count(c.reqPerSec)} req/s (${c.generatorCores.join(' + ')} cores)`).join(', then ')}; ` +
    `${n(2 * base)}, ${Math.round(connections / (2 * base))} calls in flight each: ${count(two.reqPerSec)} req/s (${two.generatorCores.join(' + ')} cores), ${pct(ratio - 1)} over the ${n(base)} mean`;
  const share = `a generator process used at most ${busiest} of a core`;
  const loud = [...one, two].some((c) => noisy(c.cpu)) ? ' [noisy: other work used CPU during these cells]' : '';
  const band = `${(tolerance * 100).toFixed(0)}%`;
  const notTheLimit = spread <= tolerance ? ratio <= 1 + tolerance : undefined;
  const verdict =
    notTheLimit === undefined
      ? `gRPC generator check INCONCLUSIVE: ${figures}; the two ${n(base)} cells differ by ${(spread * 100).toFixed(0)}%, more than the ${band} the check reads, so the machine moved too much to tell (${share}; re-run when it is quiet)${loud}`
      : notTheLimit
        ? `gRPC generator NOT the bottleneck: ${figures}; no rise above ${band}: more generator processes added no throughput (${share})${loud}`
        : `gRPC generator MAY BE the bottleneck: ${figures}, a rise above ${band}: the gRPC cells' req/s may be the generator's limit (${share})${loud}`;
  return { ratio, spread, notTheLimit, verdict };
}
