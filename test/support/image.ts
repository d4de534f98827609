import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';

/**
 * The container image under test (test/image/), built by .ci/image-build and run with Debian's buildah:
 * `buildah from` makes a working container of it, `buildah run --isolation chroot` runs commands in it
 * on the host's network (so a server in it listens on 127.0.0.1). Needs root, as CI runs.
 *
 * The image is named by env IMAGE_UNDER_TEST; without it the specs are skipped, unless
 * IMAGE_REQUIRED=1 (CI: .ci/run), which makes them fail instead.
 */

export const IMAGE_UNDER_TEST = process.env.IMAGE_UNDER_TEST ?? '';

/** describe() when an image is named; else skipped (or, with IMAGE_REQUIRED=1, one failing test saying why). */
export function describeWithImage(name: string, body: (image: string) => void): void {
  if (IMAGE_UNDER_TEST) {
    describe(name, () => body(IMAGE_UNDER_TEST));
    return;
  }
  const reason = 'IMAGE_UNDER_TEST names no image (.ci/image-build builds one)';
  if (process.env.IMAGE_REQUIRED === '1') {
    describe(name, () => {
      it('has an image to test (IMAGE_REQUIRED=1)', () => {
        throw new Error(reason);
      });
    });
    return;
  }
  describe.skip(`${name} [skipped: ${reason}]`, () => body(''));
}

export interface Outcome {
  /** The exit code; null when killed by a signal (the timeout's). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end, killed after timeoutMs; a nonzero exit is an outcome, not an error. */
export function runCommand(command: string, args: readonly string[], timeoutMs = 60_000): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function buildah(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const outcome = await runCommand('buildah', args, timeoutMs);
  if (outcome.code !== 0) throw new Error(`buildah ${args.join(' ')} exited with ${outcome.code}:\n${outcome.stderr}`);
  return outcome.stdout.trim();
}

/** What the image says about how it runs (Docker's image config: the OCI one has no health check). */
export interface ImageConfig {
  readonly entrypoint: string[];
  readonly cmd: string[];
  /** NAME=value, as the image sets them. */
  readonly env: string[];
  readonly user: string;
  readonly workingDir: string;
  readonly exposedPorts: string[];
  /** The HEALTHCHECK's test: ["CMD", ...argv] or ["CMD-SHELL", command]; undefined when there is none. */
  readonly healthcheck?: string[];
  /** Node's name for the image's platform (x64, arm64...), as onnxruntime-node and sharp name their binaries. */
  readonly nodeArch: string;
  readonly os: string;
}

export async function inspectImage(image: string): Promise<ImageConfig> {
  const info = JSON.parse(await buildah(['inspect', '--type', 'image', image]));
  const config = info.Docker?.config ?? {};
  const arch: string = info.OCIv1?.architecture ?? info.Docker?.architecture;
  return {
    entrypoint: config.Entrypoint ?? [],
    cmd: config.Cmd ?? [],
    env: config.Env ?? [],
    user: config.User ?? '',
    workingDir: config.WorkingDir ?? '',
    exposedPorts: Object.keys(config.ExposedPorts ?? {}),
    healthcheck: config.Healthcheck?.Test,
    nodeArch: ({ amd64: 'x64', '386': 'ia32' } as Record<string, string>)[arch] ?? arch,
    os: info.OCIv1?.os ?? info.Docker?.os,
  };
}

/** The argv a HEALTHCHECK test runs, as Docker runs it. */
export function healthcheckArgv(test: readonly string[]): string[] {
  if (test[0] === 'CMD') return test.slice(1);
  if (test[0] === 'CMD-SHELL') return ['/bin/sh', '-c', test[1]];
  throw new Error(`no health check command in ${JSON.stringify(test)}`);
}

/** A working container of an image (`buildah from`), removed with remove(). */
export class Container {
  private constructor(readonly name: string) {}

  static async create(image: string): Promise<Container> {
    return new Container(await buildah(['from', '--pull=never', image]));
  }

  /** The `buildah run` arguments for argv as that user with that environment (after the image's own). */
  runArgs(argv: readonly string[], env: Record<string, string> = {}, user = '1000:1000'): string[] {
    const envArgs = Object.entries(env).flatMap(([name, value]) => ['--env', `${name}=${value}`]);
    return ['run', '--isolation', 'chroot', '--user', user, ...envArgs, this.name, '--', ...argv];
  }

  /** Runs argv in the container to its end, bounded in time. */
  exec(argv: readonly string[], options: { env?: Record<string, string>; user?: string; timeoutMs?: number } = {}): Promise<Outcome> {
    return runCommand('buildah', this.runArgs(argv, options.env, options.user), options.timeoutMs ?? 60_000);
  }

  /** The container's root file system on the host (`buildah mount`; `buildah rm` unmounts it). */
  mount(): Promise<string> {
    return buildah(['mount', this.name]);
  }

  async remove(): Promise<void> {
    await buildah(['rm', this.name]);
  }
}

/** Every process's parent and argv, from /proc. */
function processTable(): Map<number, { ppid: number; argv: string[] }> {
  const table = new Map<number, { ppid: number; argv: string[] }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      table.set(Number(entry), { ppid, argv });
    } catch {
      // The process ended while being read.
    }
  }
  return table;
}

/** The process's descendants, parents before their children. */
export function descendants(pid: number): { pid: number; ppid: number; argv: string[] }[] {
  const table = processTable();
  const found: { pid: number; ppid: number; argv: string[] }[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const [child, { ppid, argv }] of table) {
      if (ppid !== parent) continue;
      found.push({ pid: child, ppid, argv });
      queue.push(child);
    }
  }
  return found;
}

/**
 * A long-running command in a container (`buildah run`, a child of this process), with its output
 * kept for failure messages. pid() finds the program itself among buildah's descendants: the topmost
 * process whose argv[0] is the command's: SIGTERM to `buildah run` itself does not reach it (buildah 1.28
 * then kills the program, with no shutdown of its own), so signals go to that PID.
 */
export class ContainerProcess {
  private output = '';
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(
    container: Container,
    readonly argv: readonly string[],
    env: Record<string, string>,
  ) {
    this.child = spawn('buildah', container.runArgs(argv, env), { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-200_000);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The program's PID once it runs (within timeoutMs), else undefined. */
  async pid(timeoutMs = 10_000): Promise<number | undefined> {
    const name = path.basename(this.argv[0]);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.running) {
      const all = descendants(this.child.pid!);
      const pids = new Set(all.filter((p) => path.basename(p.argv[0] ?? '') === name).map((p) => p.pid));
      const top = all.find((p) => pids.has(p.pid) && !pids.has(p.ppid));
      if (top) return top.pid;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return undefined;
  }

  /** Ends it for good: SIGKILL to buildah's descendants and buildah itself, by PID (all started here). */
  async kill(): Promise<void> {
    if (!this.running) return;
    for (const { pid } of descendants(this.child.pid!).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Resolves with the promise's value, or with `fallback` after ms. */
export function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
