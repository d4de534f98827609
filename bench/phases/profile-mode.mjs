// Profile mode (BENCH_PROFILE=scenario@connections[:off]), instead of the
// run: one cell with the service under `node --cpu-prof`, then the top
// self-time functions and packages of each thread (../profile.mjs),
// restricted to the cell. Its profiles and summary.json go to
// bench/results/profile-<timestamp>/.
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

export async function profileOneCell(spec, { settings, results }) {
  const [where, mode] = spec.split(':');
  const [id, connectionsText] = where.split('@');
  const scenario = SCENARIOS.find((s) => s.id === id);
  if (!scenario) throw new Error(`BENCH_PROFILE: unknown scenario "${id}" (one of ${SCENARIOS.map((s) => s.id).join(', ')})`);
  const connections = Number(connectionsText ?? 64);
  const batching = mode !== 'off';
  const dir = path.join(RESULTS_DIR, `profile-${runStamp(results)}`);
  await mkdir(dir, { recursive: true });
  log(`profiling ${id} @${connections}, batching ${batching ? 'on' : 'off'}: node --cpu-prof, profiles in ${path.relative(ROOT, dir)}`);
  const service = await startService({
    env: { ...settings.serviceEnv, ...(batching ? {} : { BATCHING_ENABLED: 'false' }) },
    // Worker threads inherit --cpu-prof and write their own profile when they exit.
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
    logLevel: settings.logLevel,
    name: 'service (profiled)',
    grpc: isGrpc(scenario),
  });
  const server = { server: 'service', url: service.url, grpcTarget: service.grpcTarget, pid: service.pid };
  let cell;
  let cellStart;
  let cellEnd;
  try {
    const answer = isGrpc(scenario) ? await probeGrpc(service.grpcTarget, scenario) : await probe(service.url, scenario);
    if (!answer.ok) throw new Error(`${id}: wrong answer (status ${answer.status}): ${answer.body.slice(0, 300)}`);
    await loadCell(server, scenario, connections, settings.warmupSeconds, settings);
    cellStart = performance.now();
    cell = await loadCell(server, scenario, connections, settings.seconds, settings);
    cellEnd = performance.now();
    // A gRPC generator starts and warms up before its window: the profile window is its measured seconds.
    cellStart = Math.max(cellStart, cellEnd - cell.seconds * 1000);
  } finally {
    // SIGTERM: the service shuts down gracefully, so every thread writes its profile.
    await service.stop();
  }
  // Profiles end when the process exits: the cell is the window that long before the end (start-up left out).
  const exited = performance.now();
  const window = [exited - cellStart, exited - cellEnd];
  const summary = await summariseProfiles(dir, 25, window);
  console.log(`\n${id} @${connections}, batching ${batching ? 'on' : 'off'}: ${count(cell.reqPerSec)} req/s, p50 ${ms(cell.p50)} ms, p99 ${ms(cell.p99)} ms, errors ${cell.totalErrors}, cpu server ${cell.cpu.server} / ${isGrpc(scenario) ? 'grpc-load' : 'wrk'} ${cell.cpu.loadGenerator} / others ${cell.cpu.others} cores (the profiler itself slows the service)\n`);
  console.log(summary.text);
  await writeFile(path.join(dir, 'summary.json'), JSON.stringify({ scenario: id, connections, batching, cell, threads: summary.threads }, null, 2));
}
