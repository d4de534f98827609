// One measured cell of the servers phase: one server, one scenario, one
// connection count, for BENCH_SECONDS, with the CPU of the server, of the load
// generator (wrk, or grpc-load.mjs for gRPC scenarios) and of everything else,
// and (for the service) its mean batch size.
import os from 'node:os';
import { cpuMeter, generatorBound } from '../cpu.mjs';
import { probeGrpc, runGrpcCell } from '../grpc-cell.mjs';
import { runCell } from '../load.mjs';
import { log } from '../log.mjs';
import { isGrpc, probe } from '../scenarios.mjs';
import { batchCounters } from '../service.mjs';
import { count, ms } from '../table.mjs';

/** One real request, its answer checked: a server measuring fast wrong answers (or 404s) is caught. */
async function checkAnswer(s, scenario, when) {
  const answer = isGrpc(scenario) ? await probeGrpc(s.grpcTarget, scenario) : await probe(s.url, scenario);
  if (!answer.ok) throw new Error(`${s.label} ${scenario.id}: wrong answer ${when} (status ${answer.status}): ${answer.body.slice(0, 300)}`);
}

/**
 * The load of one cell, without the probes: wrk for HTTP, grpc-load.mjs for gRPC (`generators`
 * processes: BENCH_GRPC_GENERATORS, but for the generator check). Resolves the cell with its `cpu`.
 */
export async function loadCell(s, scenario, connections, seconds, settings, generators = settings.grpc.generators) {
  if (isGrpc(scenario)) {
    return runGrpcCell({ target: s.grpcTarget, scenario, connections, seconds, channels: settings.grpc.channels, warmupSeconds: settings.grpc.warmupSeconds, generators, serverPid: s.pid });
  }
  const meter = cpuMeter(s.pid);
  const cell = await runCell({ url: s.url + scenario.path, scenario, connections, seconds, checkAnswers: s.server === 'service' });
  return { ...cell, cpu: meter(cell.generatorCpuSeconds) };
}

/**
 * One measured cell, the answer checked with a real request just before and
 * just after it. wrk checks every answer of the service too (its Lua
 * response()); not the HTTP ceiling's, a constant captured from the service:
 * at its 30k+ req/s that callback would cost wrk about 15% more CPU (README).
 */
export async function measureCell(s, scenario, connections, { settings, results }, generators = settings.grpc.generators) {
  await checkAnswer(s, scenario, `before the cell at ${connections} connections`);
  const load = os.loadavg()[0];
  const before = s.server === 'service' ? await batchCounters(s.url, scenario.model) : undefined;
  const { cpu, ...cell } = await loadCell(s, scenario, connections, settings.seconds, settings, generators);
  const after = before ? await batchCounters(s.url, scenario.model) : undefined;
  // Instances per inference during the cell (the probe before it adds one inference: negligible).
  const inferences = after ? after.count - before.count : undefined;
  const meanBatch = inferences ? (after.sum - before.sum) / inferences : undefined;
  const row = { server: s.server, batching: s.batching, scenario: scenario.id, model: scenario.model, ...cell, inferences, meanBatch, cpu, loadAverage1m: Math.round(load * 100) / 100 };
  const generator = isGrpc(scenario) ? `grpc-load${generators > 1 ? ` x${generators} (${cell.generatorCores.join(' + ')})` : ''}` : 'wrk';
  row.generators = isGrpc(scenario) ? generators : undefined;
  log(
    `  ${s.label.padEnd(22)} ${scenario.id.padEnd(15)} @${String(connections).padStart(3)}: ${count(cell.reqPerSec).padStart(7)} req/s  p50 ${ms(cell.p50)}  p99 ${ms(cell.p99)} ms  errors ${cell.totalErrors}${errorCodes(cell)}  cpu server ${cpu.server} / ${generator} ${cpu.loadGenerator} / others ${cpu.others}${generatorBound(cpu) ? '  GENERATOR-BOUND' : ''}`,
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

/** gRPC cells: the non-OK statuses by code, e.g. " (RESOURCE_EXHAUSTED 12)". */
const errorCodes = (cell) => {
  const codes = Object.entries(cell.errorsByCode ?? {});
  return codes.length ? ` (${codes.map(([code, n]) => `${code} ${n}`).join(', ')})` : '';
};
