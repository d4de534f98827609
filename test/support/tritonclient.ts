import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'vitest';
import { irisProbabilities } from './iris';

/**
 * NVIDIA's Python client for the Open Inference Protocol (tritonclient.http and
 * tritonclient.grpc), run by the specs in test/open-inference-protocol.tritonclient-*.spec.ts
 * through the scripts in test/tritonclient/.
 *
 * Where it is found:
 * - the client: env TRITONCLIENT_DIR (a directory holding the `tritonclient` package), else the first
 *   that exists of <repo>/../shared/tools/tritonclient and /work/shared/tools/tritonclient;
 * - Python: Debian's /usr/bin/python3 (the client needs Debian's python3-numpy, -grpcio, -protobuf,
 *   -gevent, -geventhttpclient, -rapidjson and -packaging; another python3 on PATH lacks them).
 * Without them the specs are skipped, saying why, unless env TRITONCLIENT_REQUIRED=1 (CI: .ci/run),
 * which makes them fail instead.
 */

const REPO_ROOT = path.resolve(__dirname, '../..');
export const TRITONCLIENT_PYTHON = '/usr/bin/python3';
export const TRITONCLIENT_SCRIPTS_DIR = path.join(REPO_ROOT, 'test', 'tritonclient');
const PYTHON_MODULES = ['numpy', 'grpc', 'google.protobuf', 'gevent', 'geventhttpclient', 'rapidjson', 'packaging'];

export interface Tritonclient {
  /** The directory holding the `tritonclient` package (what PYTHONPATH names). */
  readonly dir: string;
  readonly python: string;
}

export type TritonclientLookup = { found: true; client: Tritonclient } | { found: false; reason: string };

/** The candidate directories, in lookup order. */
export function tritonclientCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.TRITONCLIENT_DIR) return [path.resolve(env.TRITONCLIENT_DIR)];
  return [path.resolve(REPO_ROOT, '..', 'shared', 'tools', 'tritonclient'), '/work/shared/tools/tritonclient'];
}

/** The environment the scripts run in: the client on PYTHONPATH, no bytecode written into the client or test/. */
function pythonEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: dir, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };
  delete env.PYTHONHOME;
  return env;
}

let cached: TritonclientLookup | undefined;

/** Finds the client and checks that Debian's Python imports it and every module it needs (once per test file). */
export function findTritonclient(): TritonclientLookup {
  cached ??= lookUp();
  return cached;
}

function lookUp(): TritonclientLookup {
  const candidates = tritonclientCandidates();
  const dir = candidates.find((candidate) => existsSync(path.join(candidate, 'tritonclient', '__init__.py')));
  if (!dir) {
    const how = process.env.TRITONCLIENT_DIR ? 'TRITONCLIENT_DIR' : 'none of the default locations';
    return { found: false, reason: `no tritonclient package in ${how}: ${candidates.join(', ')}` };
  }
  if (!existsSync(TRITONCLIENT_PYTHON)) return { found: false, reason: `${TRITONCLIENT_PYTHON} does not exist` };
  const imports = [...PYTHON_MODULES, 'tritonclient.grpc', 'tritonclient.http'];
  try {
    execFileSync(TRITONCLIENT_PYTHON, ['-c', `import ${imports.join(', ')}`], { env: pythonEnv(dir), stdio: 'pipe', timeout: 30_000 });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim().split('\n').pop() ?? String(error);
    return {
      found: false,
      reason:
        `${TRITONCLIENT_PYTHON} cannot import the client from ${dir} (${stderr}); ` +
        'apt-get install python3-numpy python3-grpcio python3-protobuf python3-gevent python3-geventhttpclient python3-rapidjson python3-packaging',
    };
  }
  return { found: true, client: { dir, python: TRITONCLIENT_PYTHON } };
}

/**
 * describe() when the client is found. Otherwise the block is skipped with the reason in its name
 * (and on stderr), or, with TRITONCLIENT_REQUIRED=1, replaced by one failing test that gives it.
 */
export function describeWithTritonclient(name: string, body: (client: Tritonclient) => void): void {
  const lookup = findTritonclient();
  if (lookup.found) {
    describe(name, () => body(lookup.client));
    return;
  }
  if (process.env.TRITONCLIENT_REQUIRED === '1') {
    describe(name, () => {
      it('finds tritonclient and its Python modules (TRITONCLIENT_REQUIRED=1)', () => {
        throw new Error(lookup.reason);
      });
    });
    return;
  }
  console.warn(`skipping "${name}": ${lookup.reason} (set TRITONCLIENT_REQUIRED=1 to fail instead)`);
  describe.skip(`${name} [skipped: ${lookup.reason}]`, () => body({ dir: '', python: TRITONCLIENT_PYTHON }));
}

/** An error a check raised, as the script reports it: tritonclient's InferenceServerException status() and message(). */
export interface CheckError {
  readonly type: string;
  /** gRPC: "StatusCode.NOT_FOUND"...; HTTP: the status code as a string ("404"). */
  readonly status: string | null;
  readonly message: string;
}

/** One check's outcome: what it returned, or what it raised. */
export interface CheckOutcome<T = unknown> {
  readonly check: string;
  readonly result?: T;
  readonly error?: CheckError;
}

/** The outcomes of one script run, by check name; reading a check that did not report throws with the script's output. */
export class CheckOutcomes {
  constructor(
    private readonly outcomes: ReadonlyMap<string, CheckOutcome>,
    private readonly log: string,
  ) {}

  /** The checks that reported, in order. */
  names(): string[] {
    return [...this.outcomes.keys()];
  }

  get(check: string): CheckOutcome {
    const outcome = this.outcomes.get(check);
    if (!outcome) throw new Error(`check "${check}" did not report; the script's output:\n${this.log}`);
    return outcome;
  }

  /** What a check returned; throws with its error when it raised. */
  result<T>(check: string): T {
    const outcome = this.get(check);
    if (outcome.error) throw new Error(`check "${check}" raised ${outcome.error.type} [${outcome.error.status}]: ${outcome.error.message}`);
    return outcome.result as T;
  }

  /** What a check raised; throws when it returned instead. */
  error(check: string): CheckError {
    const outcome = this.get(check);
    if (!outcome.error) throw new Error(`check "${check}" was expected to raise, but returned ${JSON.stringify(outcome.result).slice(0, 500)}`);
    return outcome.error;
  }
}

/**
 * Runs test/tritonclient/<script> with the client against `target` (host:port), for the named checks
 * (the script's defaults when none), killed after timeoutMs; one JSON line per check on stdout.
 */
export function runTritonclientChecks(
  client: Tritonclient,
  script: string,
  target: string,
  checks: readonly string[] = [],
  timeoutMs = 60_000,
  /** More environment for the script (a credential it must not take on its command line). */
  extraEnv: Record<string, string> = {},
): Promise<CheckOutcomes> {
  const scriptPath = path.join(TRITONCLIENT_SCRIPTS_DIR, script);
  return new Promise((resolve, reject) => {
    execFile(
      client.python,
      [scriptPath, target, ...checks],
      { env: { ...pythonEnv(client.dir), ...extraEnv }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const log = `$ ${client.python} ${script} ${target} ${checks.join(' ')}\n--- stdout\n${stdout.slice(0, 20_000)}\n--- stderr\n${stderr.slice(0, 20_000)}`;
        if (error) {
          const why = error.killed ? `was killed after ${timeoutMs} ms` : `failed (${error.message.split('\n')[0]})`;
          reject(new Error(`${script} ${why}\n${log}`));
          return;
        }
        const outcomes = new Map<string, CheckOutcome>();
        for (const line of stdout.split('\n').filter((text) => text.trim() !== '')) {
          let outcome: CheckOutcome;
          try {
            outcome = JSON.parse(line) as CheckOutcome;
          } catch {
            reject(new Error(`${script} printed a line that is not JSON: ${line.slice(0, 500)}\n${log}`));
            return;
          }
          outcomes.set(outcome.check, outcome);
        }
        resolve(new CheckOutcomes(outcomes, log));
      },
    );
  });
}

/** An inference answer as the scripts summarise it (test/tritonclient/*_checks.py, `summary`). */
export interface InferSummary {
  /** The flowers sent (iris checks). */
  readonly rows?: number[][];
  readonly id: string | null;
  readonly model_name: string;
  readonly model_version: string;
  readonly outputs: { name: string; datatype: string; shape: number[]; parameters?: Record<string, unknown> | null; json_data?: boolean }[];
  /** gRPC: how many raw_output_contents the response carried. */
  readonly raw_output_count?: number;
  /** The output read with InferResult.as_numpy(...).tolist(). */
  readonly values: number[][];
}

const irisReference = new Map<string, number[]>();

/**
 * What onnxruntime-node answers for these flowers with that iris version (irisProbabilities),
 * one session per call for the rows not asked for before.
 */
export async function expectedIris(version: number | string, rows: readonly number[][]): Promise<number[][]> {
  const key = (row: readonly number[]) => `${version}:${row.join(',')}`;
  const missing = rows.filter((row, i) => !irisReference.has(key(row)) && rows.findIndex((other) => key(other) === key(row)) === i);
  if (missing.length) {
    const computed = await irisProbabilities(Number(version), missing);
    missing.forEach((row, i) => irisReference.set(key(row), computed[i]));
  }
  return rows.map((row) => irisReference.get(key(row))!);
}
