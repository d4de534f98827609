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
//                       BATCHING_ENABLED=false, the HTTP ceiling (bare Fastify 5,
//                       same requests, constant same-size answers) and, for the /v2
//                       binary digits, the hand-written peer (peer-server.mjs), all
//                       started at once, their cells interleaved so that each ratio
//                       compares cells seconds apart, under about the same outside
//                       load; /health/live polled during every cell
//   3. hostile body     a 1 MB body of ~350,000 {} inputs to the idle batching-on
//                       service: time to its 4xx, and /health/live meanwhile
//   4. cost of versions 1 vs N versions loaded: start-up, memory, spread load
// then a table, PASS/MISS per target, and bench/results/<timestamp>.json.
//
// Settings (environment): BENCH_SECONDS, BENCH_QUICK, BENCH_REPORT, BENCH_PROFILE
// and the others, with their defaults, are listed in settings.mjs.
//
// This file only orchestrates: the phases are in phases/, the targets in
// targets.mjs, the printed report in report.mjs, the results file in results.mjs.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ensureWrk } from './load.mjs';
import { log } from './log.mjs';
import { computeCeilingPhase } from './phases/compute-ceiling.mjs';
import { costOfVersionsPhase } from './phases/cost-of-versions.mjs';
import { profileOneCell } from './phases/profile-mode.mjs';
import { serversPhase } from './phases/servers.mjs';
import { killAllNow, stopAll } from './processes.mjs';
import { report } from './report.mjs';
import { createResults, readSavedResults, saveResults } from './results.mjs';
import { ROOT } from './service.mjs';
import { REPORT_FILE, settings } from './settings.mjs';
import { evaluateTargets } from './targets.mjs';

const results = createResults(settings);
const run = { settings, results };

async function main() {
  if (!existsSync(path.join(ROOT, 'dist', 'main.js'))) throw new Error('dist/main.js not found: run "npm run bench" (it builds first) or "npm run build"');
  if (settings.profile) return profileOneCell(settings.profile, run);

  results.compute = await computeCeilingPhase(run);
  await serversPhase(run);
  if (settings.versions > 1) results.manyVersions = await costOfVersionsPhase(run);
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
  if (!settings.profile) await saveResults(results).catch(() => undefined);
  process.exit(2);
}, settings.maxSeconds * 1000);
watchdog.unref();

if (REPORT_FILE) {
  // Re-prints a saved run (table, targets with today's rules) without measuring anything.
  const saved = readSavedResults(REPORT_FILE);
  Object.assign(results, saved, { targets: [] });
  Object.assign(settings, saved.settings);
  results.targets = evaluateTargets(results, settings);
  console.log(report(results, settings));
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
  results.targets = evaluateTargets(results, settings);
  console.log(report(results, settings));
  const file = await saveResults(results);
  console.log(`\nresults: ${path.relative(ROOT, file)} and bench/results/latest.json`);
} else if (results.error) {
  console.error(results.error);
}
