// Starts the real service (`node dist/main.js`) as a child process on a free
// port of 127.0.0.1, waits for GET /health/ready = 200, and stops it by PID.
// A separate process, not an in-process Nest app: the load generator must not
// share the service's event loop, and its start-up time and memory are part
// of what is measured.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { processTree } from './cpu.mjs';
import { freePort, sleep, startChild, stopChild, tail } from './processes.mjs';

export const ROOT = path.resolve(import.meta.dirname, '..');
const MAIN = path.join(ROOT, 'dist', 'main.js');
const require = createRequire(import.meta.url);

/**
 * A setting as a service started by startService sees it: from `env`, else
 * from this process's environment (children inherit it), else the built
 * service's default (dist/config/app-config.js); undefined if none is found.
 */
export function serviceSetting(name, env = {}) {
  const given = env[name] ?? process.env[name];
  if (given !== undefined) return given;
  try {
    return require(path.join(ROOT, 'dist', 'config', 'app-config.js')).CONFIG_DEFAULTS[name];
  } catch {
    return undefined;
  }
}

/**
 * @param {object} options
 * @param {Record<string,string>} [options.env] service settings (BATCHING_ENABLED, MODELS_DIR, ...)
 * @param {string[]} [options.nodeArgs] e.g. ['--cpu-prof', '--cpu-prof-dir', dir]
 * @param {number} [options.readyTimeoutMs]
 * @param {string} [options.main] another build's main.js (e.g. of the commit before a change, for an A/B)
 * @param {boolean} [options.grpc] serve gRPC too (GRPC_PORT on a free port, `grpcTarget` in the answer);
 *                                 otherwise GRPC_PORT=0: the service's default port (8001) is not free to
 *                                 take when several services run at once, or beside someone else's
 */
export async function startService({ env = {}, nodeArgs = [], readyTimeoutMs = 120_000, name = 'service', logLevel = 'warn', main = MAIN, grpc = false } = {}) {
  const port = await freePort();
  let grpcPort = 0;
  while (grpc && (grpcPort === 0 || grpcPort === port)) grpcPort = await freePort();
  const started = performance.now();
  const tracked = startChild(main, [], {
    name,
    cwd: ROOT,
    nodeArgs,
    discardStdout: !['fatal', 'error', 'warn', 'silent'].includes(logLevel),
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: logLevel,
      // Bounded stop: with no traffic left the service drains at once anyway.
      SHUTDOWN_GRACE_MS: '5000',
      ...env,
      // After `env`: the bench owns the port, so that no two services it starts ask for the same one.
      GRPC_PORT: String(grpcPort),
    },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, tracked, readyTimeoutMs);
  } catch (error) {
    await stopChild(tracked);
    throw error;
  }
  const startupMs = performance.now() - started;
  return {
    url,
    /** host:port of its gRPC server, when started with `grpc`. */
    grpcTarget: grpc ? `127.0.0.1:${grpcPort}` : undefined,
    pid: tracked.child.pid,
    startupMs,
    /** Milliseconds since the process was spawned. */
    sinceStartMs: () => performance.now() - started,
    tracked,
    rssKb: () => rssKb(tracked.child.pid),
    stop: () => stopChild(tracked),
  };
}

async function waitReady(url, tracked, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    if (tracked.exited) {
      throw new Error(`${tracked.name} exited (code ${tracked.exitCode}) before it was ready\n${tail(tracked.output)}`);
    }
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
    await sleep(50);
  }
  throw new Error(`${tracked.name} not ready within ${timeoutMs} ms (last: ${last})\n${tail(tracked.output)}`);
}

/** Resident memory of the whole process (main thread and worker threads share it), in kB. */
/** Resident memory of the service: its process and, under a primary, every HTTP process it forked. */
export async function rssKb(pid) {
  let total = 0;
  for (const member of processTree(pid)) {
    const status = await readFile(`/proc/${member}/status`, 'utf8').catch(() => '');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (match) total += Number(match[1]);
    else if (member === pid) return Number.NaN;
  }
  return total;
}

/**
 * Sum and count of the service's model_batch_size histogram for one model
 * (every version), from /metrics: the difference over a cell is how many
 * inferences ran and how many instances they carried, i.e. whether batching
 * really batched. Undefined when the service does not expose the series.
 */
export async function batchCounters(url, model) {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    let sum = 0;
    let count = 0;
    let seen = false;
    for (const line of text.split('\n')) {
      if (!line.includes(`model="${model}"`)) continue;
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (line.startsWith('model_batch_size_sum{')) (sum += value), (seen = true);
      else if (line.startsWith('model_batch_size_count{')) count += value;
    }
    return seen ? { sum, count } : undefined;
  } catch {
    return undefined;
  }
}
