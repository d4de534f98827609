// Profile mode (BENCH_PROFILE=[peer:]scenario@connections[:off]), instead of
// the run: one cell with the service (or, with "peer:", the hand-written peer)
// under `node --cpu-prof`, then the top self-time functions and packages of
// each thread (../profile.mjs), restricted to the cell. Its profiles and
// summary.json go to bench/results/profile-<timestamp>/.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { probeGrpc } from '../grpc-cell.mjs';
import { log } from '../log.mjs';
import { summariseProfiles } from '../profile.mjs';
import { RESULTS_DIR, runStamp } from '../results.mjs';
import { isGrpc, probe, SCENARIOS } from '../scenarios.mjs';
import { ROOT, startService } from '../service.mjs';
import { count, ms } from '../table.mjs';
import { loadCell } from './servers-cell.mjs';
import { startPeer } from './servers-start.mjs';

/** "peer:digits-v2-bin@64", "digits-v1-json@64:off": which server, scenario, connections and batching. */
function parseSpec(spec) {
  const peer = spec.startsWith('peer:');
  const [where, mode] = (peer ? spec.slice('peer:'.length) : spec).split(':');
  const [id, connectionsText] = where.split('@');
  const scenario = SCENARIOS.find((s) => s.id === id);
  if (!scenario) throw new Error(`BENCH_PROFILE: unknown scenario "${id}" (one of ${SCENARIOS.map((s) => s.id).join(', ')})`);
  if (peer && !scenario.peer) throw new Error(`BENCH_PROFILE: the hand-written peer takes only ${SCENARIOS.filter((s) => s.peer).map((s) => s.id).join(', ')}`);
  return { peer, scenario, connections: Number(connectionsText ?? 64), batching: mode !== 'off' };
}

/**
 * The profiled server, started with `nodeArgs` (worker threads and the
 * forked HTTP processes inherit --cpu-prof, and each writes its own profile
 * when it exits), its answer checked; { server, label, stop }.
 */
async function startProfiled({ peer, scenario, batching }, nodeArgs, settings) {
  if (peer) {
    const started = await startPeer([scenario], { processes: settings.peer.processes, nodeArgs });
    return { server: { server: 'peer', variant: 'peer', url: started.url, pid: started.pid }, label: `hand-written peer (${started.processes} processes)`, stop: started.stop };
  }
  const service = await startService({
    env: { ...settings.serviceEnv, ...(batching ? {} : { BATCHING_ENABLED: 'false' }) },
    nodeArgs,
    logLevel: settings.logLevel,
    name: 'service (profiled)',
    grpc: isGrpc(scenario),
  });
  try {
    const answer = isGrpc(scenario) ? await probeGrpc(service.grpcTarget, scenario) : await probe(service.url, scenario);
    if (!answer.ok) throw new Error(`${scenario.id}: wrong answer (status ${answer.status}): ${answer.body.slice(0, 300)}`);
  } catch (error) {
    await service.stop();
    throw error;
  }
  const server = { server: 'service', url: service.url, grpcTarget: service.grpcTarget, pid: service.pid };
  return { server, label: `service, batching ${batching ? 'on' : 'off'}`, stop: service.stop };
}

export async function profileOneCell(spec, { settings, results }) {
  const target = parseSpec(spec);
  const { scenario, connections } = target;
  const id = scenario.id;
  const dir = path.join(RESULTS_DIR, `profile-${runStamp(results)}`);
  await mkdir(dir, { recursive: true });
  const { server, label, stop } = await startProfiled(target, ['--cpu-prof', '--cpu-prof-dir', dir], settings);
  log(`profiling ${id} @${connections}, ${label}: node --cpu-prof, profiles in ${path.relative(ROOT, dir)}`);
  let cell;
  let cellStart;
  let cellEnd;
  try {
    await loadCell(server, scenario, connections, settings.warmupSeconds, settings);
    cellStart = performance.now();
    cell = await loadCell(server, scenario, connections, settings.seconds, settings);
    cellEnd = performance.now();
    // A gRPC generator starts and warms up before its window: the profile window is its measured seconds.
    cellStart = Math.max(cellStart, cellEnd - cell.seconds * 1000);
  } finally {
    // SIGTERM: the server shuts down gracefully, so every thread (and process) writes its profile.
    await stop();
  }
  // Profiles end when the process exits: the cell is the window that long before the end (start-up left out).
  const exited = performance.now();
  const window = [exited - cellStart, exited - cellEnd];
  const summary = await summariseProfiles(dir, 25, window);
  console.log(`\n${id} @${connections}, ${label}: ${count(cell.reqPerSec)} req/s, p50 ${ms(cell.p50)} ms, p99 ${ms(cell.p99)} ms, errors ${cell.totalErrors}, cpu server ${cell.cpu.server} / ${isGrpc(scenario) ? 'grpc-load' : 'wrk'} ${cell.cpu.loadGenerator} / others ${cell.cpu.others} cores (the profiler itself slows the server)\n`);
  console.log(summary.text);
  await writeFile(path.join(dir, 'summary.json'), JSON.stringify({ scenario: id, connections, server: server.server, batching: target.peer ? undefined : target.batching, cell, threads: summary.threads }, null, 2));
}
