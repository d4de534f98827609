// The report printed at the end of a run (and by BENCH_REPORT): the machine,
// one section per phase measured, the PASS/MISS lines of the targets, notes.
// Plain text for a terminal or an issue; the raw figures are in the results file.
import { GENERATOR_BOUND_CORES } from './cpu.mjs';
import { cellsTable, computeTable, grpcBesideRestTable, manyVersionsTable, peerTable } from './report-tables.mjs';
import { SCENARIOS } from './scenarios.mjs';
import { noisy, NOISY_CORES } from './settings.mjs';
import { ms } from './table.mjs';

/** The whole report as one string; `results.targets` must be evaluated already. */
export function report(results, settings) {
  const m = results.machine;
  const out = [];
  out.push('');
  out.push(`machine: ${m.cpu}, ${m.cores} cores, ${m.memoryMb} MB, Linux ${m.kernel}; Node ${m.node}, onnxruntime-node ${m.onnxruntimeNode}, fastify ${m.fastify}, ${m.wrk ? `wrk ${m.wrk}` : 'wrk missing'}; commit ${m.commit}`);
  out.push(`load average at start: ${m.loadAverageAtStart.join(' ')} (other work on this machine competes for the same ${m.cores} cores)`);
  out.push(`cells: wrk, 1 thread, ${settings.seconds} s each after a ${settings.warmupSeconds} s warm-up per scenario, one request in flight per connection; service LOG_LEVEL=${settings.logLevel}${Object.keys(settings.serviceEnv).length ? `, ${JSON.stringify(settings.serviceEnv)}` : ''}`);
  if (results.cells.some((c) => c.generator === 'grpc-load')) {
    out.push(
      `gRPC cells: bench/grpc-load.mjs (Node, @grpc/grpc-js, ${settings.grpc?.generators > 1 ? `${settings.grpc.generators} processes of its own` : 'its own process'}), "conns" calls in flight over ${settings.grpc?.channels ?? '?'} HTTP/2 connections (fewer when fewer calls), ${settings.seconds} s after its own ${settings.grpc?.warmupSeconds ?? '?'} s warm-up; every status counted, 1 answer in 16 decoded and checked`,
    );
  }
  out.push('');
  if (results.compute) {
    out.push('Compute ceiling (onnxruntime-node in its own process; rows/s = instances per second)');
    out.push(computeTable(results));
    const c = results.compute.cpu;
    if (c) out.push(`cpu during this phase: onnxruntime process ${c.server} cores, everything else on the machine ${c.others} cores (of ${m.cores})${noisy(c) ? ' ! noisy: the ceiling is lower than on a quiet machine, ratios to it higher' : ''}`);
    out.push('');
  }
  if (results.cells.length) {
    out.push(
      `Service vs ceilings ("batch": mean instances per inference, from the service's model_batch_size metric; "x HTTP ceil": req/s over the bare-Fastify req/s at the same connections; "x compute ceil": rows/s over the best single-process onnxruntime rows/s of that model; cpu: cores used by server / load generator (wrk; grpc-load.mjs in "service gRPC" rows) / everything else during the cell; flags: "!" everything else used more than ${NOISY_CORES} cores, "generator-bound" the generator used more than ${GENERATOR_BOUND_CORES} of a core, so the cell may have measured the generator; "live p99": GET /health/live polled during the cell, one at a time, each on a connection of its own)`,
    );
    out.push(cellsTable(results));
    out.push('');
  }
  const peer = peerTable(results);
  if (peer) {
    const p = results.peer;
    const every = results.cells.find((c) => c.live)?.live.everyMs;
    out.push(
      `Service vs the hand-written peer (bench/peer-server.mjs${p ? `, ${p.processes} processes` : ''}: Fastify + onnxruntime-node, one session.run per request on the event loop, the bare tensor as its body; the service with batching on and default settings; cells of a row seconds apart, every answer of both checked; "live p99": GET /health/live every ${every} ms during each cell)`,
    );
    out.push(peer);
    out.push('');
  } else if (results.cells.some((c) => SCENARIOS.find((s) => s.id === c.scenario)?.peer)) {
    out.push(`Service vs the hand-written peer: not measured (${settings.peer?.enabled === false ? 'BENCH_PEER=0' : 'no peer cells in this run'})`);
    out.push('');
  }
  const beside = grpcBesideRestTable(results);
  if (beside) {
    out.push(
      'gRPC beside REST /v2 binary (the same tensor; cells of a row measured seconds apart; "x compute": rows/s over the compute ceiling; "per server core": gRPC rows/s per core the service used over REST\'s; gen: wrk for REST, grpc-load.mjs for gRPC, its cores and CPU per request. A Node gRPC client costs several times what wrk does per request: on a machine of few cores that CPU is taken from the server, so "gRPC / REST" understates gRPC by about that much)',
    );
    out.push(beside);
    out.push('');
  }
  if (results.generatorCheck) {
    const g = results.generatorCheck;
    const base = g.generators ?? 1;
    out.push(`gRPC generator check (${g.scenario} @${g.connections}, ${g.server}: ${base}, ${2 * base}, then ${base} generator processes, back to back; the same calls in flight and HTTP/2 connections in all)`);
    out.push(g.verdict);
    out.push('');
  } else if (results.cells.some((c) => c.generator === 'grpc-load')) {
    out.push(`gRPC generator check: not run (${settings.grpc?.check === false ? 'BENCH_GRPC_CHECK=0' : 'digits-grpc not measured'})`);
    out.push('');
  }
  if (results.hostile) {
    out.push('Hostile body (on the idle batching-on service, after its cells)');
    out.push(hostileLines(results.hostile).join('\n'));
    out.push('');
  }
  if (results.manyVersions) {
    out.push(`Cost of versions (iris, /v1, 1 instance per request, ${results.manyVersions.connections} connections)`);
    out.push(manyVersionsTable(results));
    out.push('');
  }
  if (results.targets.length) {
    out.push('Targets');
    for (const t of results.targets) out.push(`${t.result.padEnd(4)}  ${t.name}: ${t.detail}`);
    const loud = results.targets.filter((t) => t.noisy).length;
    if (loud) out.push(`${loud} verdict(s) rest on cells where other work used more than ${NOISY_CORES} cores (cells marked "!"): re-run when the machine is quiet before trusting them.`);
    const bound = results.targets.filter((t) => t.generatorBound).length;
    if (bound) out.push(`${bound} verdict(s) rest on generator-bound cells: the load generator itself used most of a core there, so their req/s may be its limit, not the server's.`);
    out.push('');
  }
  for (const note of results.notes) out.push(`note: ${note}`);
  if (results.error) out.push(`\nBENCH FAILED: ${results.error}`);
  return out.join('\n');
}

/** The hostile-body phase: the body, then each send (alone, and with /health/live polled meanwhile). */
function hostileLines(h) {
  const lines = [`${h.bytes} bytes of {"inputs":[{},{},...]} (${h.objects} objects) to /v2/models/iris/infer; the service's BODY_LIMIT_BYTES ${h.bodyLimit ?? 'unknown'}`];
  const a = h.alone;
  lines.push(`alone:       ${a.status ?? 'no answer'} after ${ms(a.wallMs)} ms (client wall time), service main thread ${ms(a.mainThreadCpuMs)} ms CPU; answer: ${a.answer}`);
  const p = h.polled;
  if (p) lines.push(`with polls:  ${p.status ?? 'no answer'} after ${ms(p.wallMs)} ms; GET /health/live every ${h.pollEveryMs} ms meanwhile: ${p.polls} polls, slowest ${ms(p.maxPollMs)} ms, ${p.pollsOver50Ms} at 50 ms or more, ${p.failedPolls} failed (idle: ${ms(p.idleMaxPollMs)} ms)`);
  else lines.push(`with polls:  ${h.note}`);
  return lines;
}
