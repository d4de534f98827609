// The servers phase's servers: the service with batching on (default
// settings), the service with BATCHING_ENABLED=false, the HTTP ceiling
// (../ceiling-server.mjs: bare Fastify 5, the same URLs and request bodies,
// answering with constants captured from the service, of the same size), and
// the hand-written peer (../peer-server.mjs: what a user writes instead of
// adopting the service).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { log } from '../log.mjs';
import { probeGrpc } from '../grpc-cell.mjs';
import { startChild, stopChild, waitForMessage } from '../processes.mjs';
import { isGrpc, probe, requestFor, SCENARIOS } from '../scenarios.mjs';
import { ROOT, rssKb, startService } from '../service.mjs';
import { mb } from '../table.mjs';

/**
 * Starts one service (with gRPC on a port of its own when a gRPC scenario is asked for); probes every
 * scenario (a /v2 404, or a gRPC UNIMPLEMENTED, is "not available"); keeps the answers for the HTTP ceiling.
 */
export async function startServiceFor(batching, scenarioIds, { settings, results }) {
  const label = `service batching=${batching ? 'on' : 'off'}`;
  const scenarios = scenarioIds.map((id) => SCENARIOS.find((s) => s.id === id) ?? unknown(id));
  const service = await startService({
    env: { ...settings.serviceEnv, ...(batching ? {} : { BATCHING_ENABLED: 'false' }) },
    logLevel: settings.logLevel,
    name: label,
    grpc: scenarios.some(isGrpc),
  });
  log(`${label}: ready in ${(service.startupMs / 1000).toFixed(2)} s, pid ${service.pid}, RSS ${mb(await service.rssKb())} MB${service.grpcTarget ? `, gRPC on ${service.grpcTarget}` : ''}`);
  const answers = {};
  for (const scenario of scenarios) {
    const id = scenario.id;
    const answer = isGrpc(scenario) ? await probeGrpc(service.grpcTarget, scenario) : await probe(service.url, scenario);
    if (answer.ok) {
      answers[id] = answer;
      results.available[id] ??= 'yes';
    } else if ((scenario.api === 'v2' && answer.status === 404) || (isGrpc(scenario) && answer.status === 'UNIMPLEMENTED')) {
      // The /v2 API is being finished elsewhere: its absence is a result, not a failure of the bench.
      results.available[id] = `not available (${answer.status})`;
      log(`  ${id}: not available (${answer.status}): ${answer.body.slice(0, 120)}`);
    } else {
      throw new Error(`${label} ${id}: wrong answer (status ${answer.status}): ${answer.body.slice(0, 300)}`);
    }
  }
  return { label, batching, service, answers };
}

function unknown(id) {
  throw new Error(`unknown scenario "${id}" (one of ${SCENARIOS.map((s) => s.id).join(', ')})`);
}

/** Starts the HTTP ceiling with the service's answers (`answers` by scenario id); its routes file goes into `dir`. */
export async function startHttpCeiling(answers, dir, { results }) {
  const routesFile = path.join(dir, 'routes.json');
  // HTTP scenarios only: gRPC has no ceiling server here.
  const routes = Object.keys(answers).filter((id) => !isGrpc(SCENARIOS.find((s) => s.id === id))).map((id) => {
    const scenario = SCENARIOS.find((s) => s.id === id);
    return { path: scenario.path, requestBytes: Buffer.byteLength(scenario.body), contentType: answers[id].contentType, answerBase64: Buffer.from(answers[id].body).toString('base64') };
  });
  await writeFile(routesFile, JSON.stringify(routes));
  const child = startChild(path.join(ROOT, 'bench', 'ceiling-server.mjs'), [routesFile], { ipc: true, name: 'HTTP ceiling' });
  const { port } = await waitForMessage(child, 'listening', 30_000);
  log(`HTTP ceiling: bare Fastify ${results.machine.fastify}, pid ${child.child.pid}, same requests, constant answers of the service's size`);
  return { child, url: `http://127.0.0.1:${port}` };
}

/**
 * Starts the hand-written peer (`processes` HTTP processes, its primary
 * forked with `nodeArgs`, which cluster.fork passes on to them) and checks
 * its answer to each of `scenarios` (those with a `peer` request) with one
 * real request: a wrong one stops the bench, as the service's would.
 */
export async function startPeer(scenarios, { processes, nodeArgs = [] }) {
  const started = performance.now();
  const child = startChild(path.join(ROOT, 'bench', 'peer-server.mjs'), ['0', String(processes)], { ipc: true, nodeArgs, name: 'hand-written peer' });
  const stop = () => stopChild(child);
  try {
    const { port } = await waitForMessage(child, 'listening', 60_000);
    const url = `http://127.0.0.1:${port}`;
    const startupMs = performance.now() - started;
    for (const scenario of scenarios) {
      const answer = await probe(url, requestFor(scenario, 'peer'));
      if (!answer.ok) throw new Error(`hand-written peer ${scenario.id}: wrong answer (status ${answer.status}): ${answer.body.slice(0, 300)}`);
    }
    const pid = child.child.pid;
    log(`hand-written peer: ${processes} process${processes === 1 ? '' : 'es'} of Fastify + onnxruntime-node, pid ${pid}, ready in ${(startupMs / 1000).toFixed(2)} s, RSS ${mb(await rssKb(pid))} MB`);
    return { url, pid, processes, startupMs, rssKb: () => rssKb(pid), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
