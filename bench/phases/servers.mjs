// Phase 2, the servers: the service with batching on, with batching off, the
// HTTP ceiling and (in the /v2 binary digit scenarios) the hand-written peer,
// measured cell by cell with wrk (and the gRPC scenarios, among their REST
// pair's cells, with ../grpc-load.mjs), /health/live polled during every cell,
// then once the gRPC generator check (grpc-check.mjs); then, on the idle
// batching-on service, phase 3, the hostile body (../hostile-body.mjs).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { measureHostileBody } from '../hostile-body.mjs';
import { log } from '../log.mjs';
import { stopChild } from '../processes.mjs';
import { isGrpc, SCENARIOS } from '../scenarios.mjs';
import { serviceSetting } from '../service.mjs';
import { connectionsFor, NOISY_CORES } from '../settings.mjs';
import { mb } from '../table.mjs';
import { targetConnections } from '../targets.mjs';
import { generatorCheck } from './grpc-check.mjs';
import { loadCell, measureCell } from './servers-cell.mjs';
import { startHttpCeiling, startPeer, startServiceFor } from './servers-start.mjs';

/**
 * The HTTP ceiling, the services and the peer all run at once (idle while
 * another is measured) and their cells are interleaved: for each scenario and
 * connection count, ceiling, batching on, peer, batching off, back to back.
 * On this shared machine, other work comes and goes over minutes; cells
 * seconds apart see about the same, so their ratios hold even when the
 * absolute numbers move.
 */
export async function serversPhase(run) {
  const { settings, results } = run;
  const on = await startServiceFor(true, settings.scenarios, run);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'onnx-bench-ceiling-'));
  const stops = [() => on.service.stop()];
  try {
    const offIds = settings.offScenarios.filter((id) => on.answers[id]);
    const off = offIds.length ? await startServiceFor(false, offIds, run) : undefined;
    if (off) stops.push(() => off.service.stop());
    const ceiling = await startHttpCeiling(on.answers, dir, run);
    stops.push(() => stopChild(ceiling.child));
    // The peer takes only the scenarios it has a request for (the /v2 binary digits), beside the service's.
    const peerScenarios = settings.peer.enabled ? SCENARIOS.filter((s) => s.peer && on.answers[s.id]) : [];
    const peer = peerScenarios.length ? await startPeer(peerScenarios, settings.peer) : undefined;
    if (peer) {
      stops.push(peer.stop);
      results.peer = { processes: peer.processes, startupMs: Math.round(peer.startupMs), scenarios: peerScenarios.map((s) => s.id) };
    }

    const httpIds = Object.keys(on.answers).filter((id) => !isGrpc(SCENARIOS.find((s) => s.id === id)));
    const servers = [
      { server: 'http-ceiling', label: 'HTTP ceiling', batching: undefined, url: ceiling.url, pid: ceiling.child.child.pid, ids: httpIds },
      { server: 'service', label: on.label, batching: true, url: on.service.url, grpcTarget: on.service.grpcTarget, pid: on.service.pid, ids: Object.keys(on.answers) },
      ...(peer ? [{ server: 'peer', label: 'hand-written peer', variant: 'peer', url: peer.url, pid: peer.pid, ids: peerScenarios.map((s) => s.id) }] : []),
      ...(off ? [{ server: 'service', label: off.label, batching: false, url: off.service.url, grpcTarget: off.service.grpcTarget, pid: off.service.pid, ids: Object.keys(off.answers) }] : []),
    ];
    for (const group of scenarioGroups(on.answers)) {
      // In each server's order (ceiling, on, peer, off), a REST scenario and then the gRPC one paired with it.
      const plan = servers.flatMap((s) => group.filter((scenario) => s.ids.includes(scenario.id)).map((scenario) => ({ s, scenario })));
      // Warm-up (not recorded): JIT, first batches, connection set-up.
      for (const { s, scenario } of plan) await loadCell(s, scenario, 16, settings.warmupSeconds, settings);
      for (const connections of connectionsFor(group[0])) {
        results.cells.push(...(await measureQuietestGroup(plan, group[0], connections, run)));
      }
      const check = settings.grpc?.check && group.find((scenario) => scenario.id === CHECKED_SCENARIO);
      if (check) results.generatorCheck = await generatorCheck(servers.find((s) => s.server === 'service' && s.batching), check, run);
    }
    if (settings.hostile) {
      // Last, on the idle batching-on service: nothing else is in flight, and a service still busy with it
      // afterwards cannot disturb a cell.
      results.hostile = await measureHostileBody(on.service, serviceSetting('BODY_LIMIT_BYTES', settings.serviceEnv), log);
    }
    for (const s of [on, off].filter(Boolean)) {
      results.notes.push(`${s.label}: start-up ${(s.service.startupMs / 1000).toFixed(2)} s, RSS after its cells ${mb(await s.service.rssKb())} MB`);
    }
    if (peer) {
      results.peer.rssAfterKb = await peer.rssKb();
      results.notes.push(`hand-written peer (${peer.processes} processes): start-up ${(peer.startupMs / 1000).toFixed(2)} s, RSS after its cells ${mb(results.peer.rssAfterKb)} MB`);
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The generator check runs once, on the gRPC scenario whose generator works hardest (1 image a call). */
const CHECKED_SCENARIO = 'digits-grpc';

/**
 * The scenarios to measure, as groups whose cells are interleaved: each REST scenario with the gRPC
 * scenarios paired with it (digits-v2-bin with digits-grpc: the same tensor, the same connection
 * counts); a gRPC scenario whose REST pair is not measured makes a group of its own.
 */
function scenarioGroups(answers) {
  const measured = SCENARIOS.filter((s) => answers[s.id]);
  const groups = measured.filter((s) => !isGrpc(s)).map((s) => [s, ...measured.filter((g) => isGrpc(g) && g.pairedWith === s.id)]);
  const grouped = new Set(groups.flat());
  return [...groups, ...measured.filter((s) => !grouped.has(s)).map((s) => [s])];
}

/**
 * One cell per server and scenario of the group, back to back, at one
 * connection count. The cells the targets read are measured again when other
 * work took CPU during any of them (the peer's among them, so a comparison
 * with the peer rests on one attempt's cells); the quietest attempt is kept,
 * the others go to results.discarded.
 */
async function measureQuietestGroup(plan, scenario, connections, run) {
  const { settings, results } = run;
  const retries = targetConnections(scenario).includes(connections) ? settings.noisyRetries : 0;
  let kept;
  for (let attempt = 0; attempt <= retries; attempt++) {
    const cells = [];
    for (const { s, scenario: mine } of plan) cells.push(await measureCell(s, mine, connections, run));
    const loudness = Math.max(...cells.map((c) => c.cpu.others));
    if (!kept || loudness < kept.loudness) {
      if (kept) results.discarded.push(...kept.cells);
      kept = { cells, loudness };
    } else results.discarded.push(...cells);
    if (loudness <= NOISY_CORES) break;
    if (attempt < retries) log(`  others used ${loudness} cores during these cells: measuring them again (${attempt + 1}/${retries})`);
  }
  return kept.cells;
}
