// The servers phase's three servers: the service with batching on (default
// settings), the service with BATCHING_ENABLED=false, and the HTTP ceiling
// (../ceiling-server.mjs: bare Fastify 5, the same URLs and request bodies,
// answering with constants captured from the service, of the same size).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { log } from '../log.mjs';
import { startChild, waitForMessage } from '../processes.mjs';
import { probe, SCENARIOS } from '../scenarios.mjs';
import { ROOT, startService } from '../service.mjs';
import { mb } from '../table.mjs';

/** Starts one service; probes every scenario (a /v2 404 is "not available"); keeps the answers for the HTTP ceiling. */
export async function startServiceFor(batching, scenarioIds, { settings, results }) {
  const label = `service batching=${batching ? 'on' : 'off'}`;
  const service = await startService({
    env: { ...settings.serviceEnv, ...(batching ? {} : { BATCHING_ENABLED: 'false' }) },
    logLevel: settings.logLevel,
    name: label,
  });
  log(`${label}: ready in ${(service.startupMs / 1000).toFixed(2)} s, pid ${service.pid}, RSS ${mb(await service.rssKb())} MB`);
  const answers = {};
  for (const id of scenarioIds) {
    const scenario = SCENARIOS.find((s) => s.id === id);
    const answer = await probe(service.url, scenario);
    if (answer.ok) {
      answers[id] = answer;
      results.available[id] ??= 'yes';
    } else if (scenario.api === 'v2' && answer.status === 404) {
      // The /v2 API is being finished elsewhere: its absence is a result, not a failure of the bench.
      results.available[id] = 'not available (404)';
      log(`  ${id}: not available (404): ${answer.body.slice(0, 120)}`);
    } else {
      throw new Error(`${label} ${id}: wrong answer (status ${answer.status}): ${answer.body.slice(0, 300)}`);
    }
  }
  return { label, batching, service, answers };
}

/** Starts the HTTP ceiling with the service's answers (`answers` by scenario id); its routes file goes into `dir`. */
export async function startHttpCeiling(answers, dir, { results }) {
  const routesFile = path.join(dir, 'routes.json');
  const routes = Object.keys(answers).map((id) => {
    const scenario = SCENARIOS.find((s) => s.id === id);
    return { path: scenario.path, requestBytes: Buffer.byteLength(scenario.body), contentType: answers[id].contentType, answerBase64: Buffer.from(answers[id].body).toString('base64') };
  });
  await writeFile(routesFile, JSON.stringify(routes));
  const child = startChild(path.join(ROOT, 'bench', 'ceiling-server.mjs'), [routesFile], { ipc: true, name: 'HTTP ceiling' });
  const { port } = await waitForMessage(child, 'listening', 30_000);
  log(`HTTP ceiling: bare Fastify ${results.machine.fastify}, pid ${child.child.pid}, same requests, constant answers of the service's size`);
  return { child, url: `http://127.0.0.1:${port}` };
}
