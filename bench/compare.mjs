// `node bench/compare.mjs`: the same scenarios against two or more service
// settings side by side, for A/B decisions (e.g. the HTTP_PROCESSES default).
// Every variant runs as its own `node dist/main.js` at once; each scenario's
// cells alternate between variants pass after pass, so each comparison is
// between cells seconds apart under about the same outside load. Run on
// demand after `npm run build`; numbers depend on the machine.
//
// Settings (environment):
//   COMPARE_VARIANTS='[{"HTTP_PROCESSES":"1"},{"HTTP_PROCESSES":"2"}]'  service settings per variant; a
//                            "main" key runs another build instead of dist/main.js, e.g. the commit before
//                            a change: git worktree add /tmp/base HEAD~1 && (cd /tmp/base && npm ci && npm run build),
//                            then '[{"main":"/tmp/base/dist/main.js"},{}]'
//   COMPARE_SCENARIOS=iris-v1,iris-v2,digits-v2-bin,digits-v2-bin16      ids from scenarios.mjs; the gRPC
//                            ones (digits-grpc, digits-grpc16) start each variant with gRPC on a free port
//                            and run grpc-load.mjs (COMPARE_GRPC_CHANNELS=4 HTTP/2 connections) instead of wrk
//   COMPARE_CONNECTIONS=64   (scenarios of 16 images a request use 16; for gRPC: calls in flight)
//   COMPARE_PASSES=3  COMPARE_SECONDS=5  COMPARE_LOG_LEVEL=info
//
// A variant may also carry request headers ("headers": {...}, REST scenarios) and the credentials of
// a PREDICT_AUTH mode, made for the run by auth-variants.mjs: the cost of API keys and of JWTs on
// iris /v1, interleaved with no auth:
//   COMPARE_SCENARIOS=iris-v1 COMPARE_VARIANTS='[{},{"auth":"keys"},{"auth":"jwt"},{"auth":"jwt","alg":"ES256"}]'
//
// A variant {"shadow": <sample>} serves iris with version 2 shadowing version 1 (shadow-variants.mjs): the
// cost of a shadow on the serving path, interleaved with no shadow:
//   COMPARE_SCENARIOS=iris-v1 COMPARE_VARIANTS='[{},{"shadow":0.1},{"shadow":1}]'
import { variantLabel, variantSetup } from './auth-variants.mjs';
import { cpuMeter } from './cpu.mjs';
import { runGrpcCell } from './grpc-cell.mjs';
import { ensureWrk, runCell } from './load.mjs';
import { isGrpc, SCENARIOS } from './scenarios.mjs';
import { startService } from './service.mjs';
import { shadowOutcomes, shadowSetup } from './shadow-variants.mjs';
import { mb } from './table.mjs';

const env = process.env;
const variants = JSON.parse(env.COMPARE_VARIANTS ?? '[{"HTTP_PROCESSES":"1"},{"HTTP_PROCESSES":"2"}]');
const ids = (env.COMPARE_SCENARIOS ?? 'iris-v1,iris-v2,digits-v2-bin,digits-v2-bin16').split(',');
const passes = Number(env.COMPARE_PASSES ?? 3);
const seconds = Number(env.COMPARE_SECONDS ?? 5);
const log = (line) => process.stderr.write(`${line}\n`);

const scenarios = ids.map((id) => SCENARIOS.find((s) => s.id === id) ?? unknown(id));
function unknown(id) {
  throw new Error(`unknown scenario ${id}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
}

if (scenarios.some((s) => !isGrpc(s))) ensureWrk(log);
const services = [];
try {
  for (const { main, ...variant } of variants) {
    const { settings, headers } = await variantSetup(shadowSetup(variant));
    if (Object.keys(headers).length > 0 && scenarios.some(isGrpc)) throw new Error('variants with headers or auth run REST scenarios only');
    const service = await startService({ env: settings, main, logLevel: env.COMPARE_LOG_LEVEL ?? 'info', grpc: scenarios.some(isGrpc) });
    services.push(Object.assign(service, { headers }));
    log(`${variantLabel(variant)}: ready in ${(service.startupMs / 1000).toFixed(1)} s, RSS ${mb(await service.rssKb())} MB`);
  }
  for (const scenario of scenarios) {
    const id = scenario.id;
    const connections = scenario.rows > 1 ? 16 : Number(env.COMPARE_CONNECTIONS ?? 64);
    const cells = services.map(() => []);
    for (let pass = 0; pass < passes; pass++) {
      for (const [i, service] of services.entries()) {
        let cell;
        let cpu;
        if (isGrpc(scenario)) {
          cell = await runGrpcCell({ target: service.grpcTarget, scenario, connections, seconds, channels: Number(env.COMPARE_GRPC_CHANNELS ?? 4), serverPid: service.pid });
          cpu = cell.cpu;
        } else {
          const meter = cpuMeter(service.pid);
          cell = await runCell({ url: `${service.url}${scenario.path}`, scenario, connections, seconds, headers: service.headers });
          cpu = meter(cell.generatorCpuSeconds);
        }
        cells[i].push(
          `${Math.round(cell.rowsPerSec)}/s p99 ${cell.p99.toFixed(1)} ms, errors ${cell.totalErrors}, CPU service ${cpu.server} ${isGrpc(scenario) ? 'grpc-load' : 'wrk'} ${cpu.loadGenerator} others ${cpu.others}`,
        );
      }
    }
    console.log(`\n${id} @${connections} (instances/s per pass)`);
    for (const [i, variant] of variants.entries()) console.log(`  ${variantLabel(variant)}\n    ${cells[i].join('\n    ')}`);
  }
  for (const [i, variant] of variants.entries()) {
    const outcomes = variant.shadow === undefined ? undefined : await shadowOutcomes(services[i].url);
    if (outcomes) console.log(`\n${variantLabel(variant)}: sampled requests by outcome, every scenario ${JSON.stringify(outcomes)}`);
  }
} finally {
  for (const service of services) await service.stop();
}
