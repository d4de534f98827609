// One measured cell of the servers phase: one server, one scenario, one
// connection count, for BENCH_SECONDS, with the CPU of the server, of the load
// generator (wrk, or grpc-load.mjs for gRPC scenarios) and of everything else,
// GET /health/live's latency meanwhile, and (for the service) its mean batch size.
//
// A server `s` is { server: 'service' | 'http-ceiling' | 'peer', label, url, pid, grpcTarget?,
// batching?, variant? }: `variant` 'peer' sends the scenario's peer request (scenarios.mjs, requestFor).
import os from 'node:os';
import { cpuMeter, generatorBound } from '../cpu.mjs';
import { probeGrpc, runGrpcCell } from '../grpc-cell.mjs';
import { pollCell } from '../liveness.mjs';
import { runCell } from '../load.mjs';
import { log } from '../log.mjs';
import { isGrpc, probe, requestFor } from '../scenarios.mjs';
import { batchCounters } from '../service.mjs';
import { count, ms } from '../table.mjs';

/** One real request, its answer checked: a server measuring fast wrong answers (or 404s) is caught. */
async function checkAnswer(s, scenario, when) {
  const answer = isGrpc(scenario) ? await probeGrpc(s.grpcTarget, scenario) : await probe(s.url, requestFor(scenario, s.variant));
  if (!answer.ok) throw new Error(`${s.label} ${scenario.id}: wrong answer ${when} (status ${answer.status}): ${answer.body.slice(0, 300)}`);
}

/**
 * The load of one cell, without the probes: wrk for HTTP, grpc-load.mjs for gRPC (`generators`
 * processes: BENCH_GRPC_GENERATORS, but for the generator check). Resolves the cell with its `cpu`,
 * and with `pollLive`, its `live`: GET /health/live polled over the measured window (liveness.mjs).
 */
export async function loadCell(s, scenario, connections, seconds, settings, { generators = settings.grpc.generators, pollLive = false } = {}) {
  const liveUrl = pollLive ? s.url : undefined;
  if (isGrpc(scenario)) {
    return runGrpcCell({ target: s.grpcTarget, scenario, connections, seconds, channels: settings.grpc.channels, warmupSeconds: settings.grpc.warmupSeconds, generators, serverPid: s.pid, liveUrl });
  }
  const meter = cpuMeter(s.pid);
  // wrk's window is its whole run (no warm-up of its own): the polls span it.
  const polls = liveUrl ? pollCell(liveUrl) : undefined;
  try {
    const request = requestFor(scenario, s.variant);
    // The HTTP ceiling's answers go unchecked: a constant captured from the service (see measureCell).
    const cell = await runCell({ url: s.url + request.path, scenario: request, connections, seconds, checkAnswers: s.server !== 'http-ceiling' });
    const cpu = meter(cell.generatorCpuSeconds);
    // After the meter: a poll still in flight is waited for, outside the metered window.
    return { ...cell, cpu, live: await polls?.stop() };
  } finally {
    await polls?.stop();
  }
}

/**
 * One measured cell, the answer checked with a real request just before and
 * just after it. wrk checks every answer of the service and of the peer too
 * (its Lua response()); not the HTTP ceiling's, a constant captured from the
 * service: at its 30k+ req/s that callback would cost wrk about 15% more CPU
 * (README).
 */
export async function measureCell(s, scenario, connections, { settings, results }, generators = settings.grpc.generators) {
  await checkAnswer(s, scenario, `before the cell at ${connections} connections`);
  const load = os.loadavg()[0];
  const before = s.server === 'service' ? await batchCounters(s.url, scenario.model) : undefined;
  const { cpu, ...cell } = await loadCell(s, scenario, connections, settings.seconds, settings, { generators, pollLive: true });
  const after = before ? await batchCounters(s.url, scenario.model) : undefined;
  // Instances per inference during the cell (the probe before it adds one inference: negligible).
  const inferences = after ? after.count - before.count : undefined;
  const meanBatch = inferences ? (after.sum - before.sum) / inferences : undefined;
  const row = { server: s.server, batching: s.batching, scenario: scenario.id, model: scenario.model, ...cell, inferences, meanBatch, cpu, loadAverage1m: Math.round(load * 100) / 100 };
  const generator = isGrpc(scenario) ? `grpc-load${generators > 1 ? ` x${generators} (${cell.generatorCores.join(' + ')})` : ''}` : 'wrk';
  row.generators = isGrpc(scenario) ? generators : undefined;
  const live = cell.live ? `  live p99 ${ms(cell.live.p99)} ms${cell.live.failures ? ` (${cell.live.failures} failed)` : ''}` : '';
  log(
    `  ${s.label.padEnd(22)} ${scenario.id.padEnd(15)} @${String(connections).padStart(3)}: ${count(cell.reqPerSec).padStart(7)} req/s  p50 ${ms(cell.p50)}  p99 ${ms(cell.p99)} ms  errors ${cell.totalErrors}${errorCodes(cell)}${live}  cpu server ${cpu.server} / ${generator} ${cpu.loadGenerator} / others ${cpu.others}${generatorBound(cpu) ? '  GENERATOR-BOUND' : ''}`,
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
