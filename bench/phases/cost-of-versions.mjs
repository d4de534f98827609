// Phase 4, the cost of versions: ../many-versions.mjs with the run's
// settings, iris /v1 at 64 connections, 1 version against BENCH_VERSIONS.
import { log } from '../log.mjs';
import { measureManyVersions } from '../many-versions.mjs';
import { SCENARIOS } from '../scenarios.mjs';

export async function costOfVersionsPhase({ settings }) {
  log(`cost of versions: 1 vs ${settings.versions} versions of iris`);
  return measureManyVersions({
    scenario: SCENARIOS.find((s) => s.id === 'iris-v1'),
    versions: settings.versions,
    seconds: settings.seconds,
    connections: 64,
    logLevel: settings.logLevel,
    log,
    readyTimeoutMs: 180_000,
  });
}
