import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../support/test-app';

const MAIN = path.resolve(__dirname, '../../../dist/main.js');

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** The gRPC port, when started with `{ grpc: true }` (else gRPC is off). */
  grpcPort?: number;
  /** Everything the process wrote, for assertions and for diagnosing a failure. */
  output: () => string;
  /** Resolves with the exit code (or signal) and how long after `exited` was first asked for. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resident memory of the server: its process and, with HTTP_PROCESSES > 1, every HTTP process it forked. */
  rssBytes: () => number;
  /** The server's process and its descendants (the HTTP processes under a primary). */
  processTree: () => number[];
  stop: () => Promise<void>;
}

/** Starts the built service (dist/main.js) on 127.0.0.1 and waits until /health/ready is 200; gRPC only when asked. */
export async function startServer(
  env: Record<string, string>,
  readyTimeoutMs = 30_000,
  options: { grpc?: boolean } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const grpcPort = options.grpc ? await freePort() : undefined;
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), GRPC_PORT: String(grpcPort ?? 0), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited during start (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${url}/health/ready`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready within ${readyTimeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    child,
    port,
    url,
    grpcPort,
    output: () => output,
    exited,
    rssBytes: () =>
      processTree(child.pid!).reduce((sum, pid) => {
        const status = readOrEmpty(`/proc/${pid}/status`);
        return sum + Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
      }, 0),
    processTree: () => processTree(child.pid!),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return ''; // the process exited meanwhile
  }
}

/** `pid` and its descendants, from /proc. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOrEmpty(`/proc/${entry}/stat`);
    if (!stat) continue;
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}
