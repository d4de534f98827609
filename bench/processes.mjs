// Child processes of the benchmark: every one is tracked here so that it is
// stopped on success, on failure, on Ctrl-C and on the overall time limit.
// Each child is stopped by its own PID (SIGTERM, then SIGKILL after a grace
// period), never by name: other engineers run services on this machine too.
import { fork, spawn } from 'node:child_process';
import net from 'node:net';

const children = new Set();

/** Starts a Node script as a child; `ipc` gives it process.send() to report results. */
export function startChild(script, args = [], { env = {}, ipc = false, nodeArgs = [], cwd, name = script, discardStdout = false } = {}) {
  // stdout/stderr are kept (last 64 KB) so a failure can show why; with ipc the channel carries results.
  // A service logging one line per request would make this process read megabytes per second while it
  // orchestrates a cell, so such a stdout goes to /dev/null instead.
  const stdout = discardStdout ? 'ignore' : 'pipe';
  const options = {
    cwd,
    env: { ...process.env, ...env },
    stdio: ipc ? ['ignore', stdout, 'pipe', 'ipc'] : ['ignore', stdout, 'pipe'],
  };
  const child = ipc ? fork(script, args, { ...options, execArgv: nodeArgs }) : spawn(process.execPath, [...nodeArgs, script, ...args], options);
  return track(child, name);
}

/** Starts any program (the load generator) as a tracked child, its stdout and stderr kept. */
export function startProcess(command, args, { name = command } = {}) {
  return track(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }), name);
}

function track(child, name) {
  const tracked = { child, name, output: '', exited: false, exitCode: null, signal: null };
  const keep = (chunk) => {
    tracked.output = (tracked.output + chunk.toString()).slice(-65_536);
  };
  child.stdout?.on('data', keep);
  child.stderr.on('data', keep);
  tracked.exit = new Promise((resolve) => {
    const exited = (code, signal) => {
      tracked.exited = true;
      tracked.exitCode = code;
      tracked.signal = signal;
      children.delete(tracked);
      resolve({ code, signal });
    };
    child.once('exit', exited);
    // A program that cannot be started (ENOENT) emits 'error' and never 'exit'.
    child.once('error', (error) => {
      tracked.output += `\n${error.message}`;
      if (child.pid === undefined) exited(null, null);
    });
  });
  children.add(tracked);
  return tracked;
}

/** SIGTERM, then SIGKILL if the child is still there after `graceMs`. */
export async function stopChild(tracked, graceMs = 8000) {
  if (!tracked || tracked.exited) return tracked?.exited ? { code: tracked.exitCode, signal: tracked.signal } : undefined;
  tracked.child.kill('SIGTERM');
  let timer;
  const killed = new Promise((resolve) => {
    timer = setTimeout(() => {
      if (!tracked.exited) tracked.child.kill('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([tracked.exit, killed]);
  clearTimeout(timer);
  return tracked.exit;
}

/** Stops every child still running (used on failure and on signals). */
export async function stopAll() {
  await Promise.all([...children].map((tracked) => stopChild(tracked, 3000)));
}

/** Last resort when the process exits anyway: synchronous SIGKILL to each child's own PID. */
export function killAllNow() {
  for (const tracked of children) {
    try {
      tracked.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Waits for the child's first IPC message of `type`; fails if it exits first or takes longer than `timeoutMs`. */
export function waitForMessage(tracked, type, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${tracked.name}: no "${type}" message within ${timeoutMs} ms\n${tail(tracked.output)}`));
    }, timeoutMs);
    const onMessage = (message) => {
      if (message?.type === 'error') {
        cleanup();
        reject(new Error(`${tracked.name}: ${message.message}`));
      } else if (message?.type === type) {
        cleanup();
        resolve(message);
      }
    };
    const onExit = (code, signal) => {
      cleanup();
      reject(new Error(`${tracked.name} exited (code ${code}, signal ${signal}) before "${type}"\n${tail(tracked.output)}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      tracked.child.off('message', onMessage);
      tracked.child.off('exit', onExit);
    };
    tracked.child.on('message', onMessage);
    tracked.child.once('exit', onExit);
  });
}

/** A port nobody listens on right now, on 127.0.0.1 only. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function tail(text, lines = 20) {
  return text.split('\n').slice(-lines).join('\n');
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
