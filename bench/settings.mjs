// The bench's settings: every environment variable it reads, and its default
// (README, "Settings (environment)"). Read once, when first imported.
//
// Settings (environment):
//   BENCH_SECONDS=5          length of every measured cell (whole seconds: wrk takes no fractions)
//   BENCH_QUICK=1            smoke run: 1 s cells, fewer cells
//   BENCH_CONNECTIONS=1,16,64,256   for the 1-instance scenarios
//   BENCH_MULTI_CONNECTIONS=1,16,64 for digits-v2-bin16 (16 images a request)
//   BENCH_SCENARIOS=iris-v1,iris-v2,digits-v1-json,digits-v2-bin,digits-grpc,digits-v2-bin16,digits-grpc16
//   BENCH_OFF_SCENARIOS=...  scenarios also run with batching off (default: all; quick: digits-v2-bin,digits-grpc)
//   BENCH_GRPC_CHANNELS=4    HTTP/2 connections of a gRPC cell (at most one per call in flight)
//   BENCH_GRPC_GENERATORS=1  grpc-load.mjs processes per gRPC cell, sharing its calls in flight
//   BENCH_GRPC_CHECK=1       the generator check: digits-grpc with twice the generator processes (0 skips it)
//   BENCH_PEER=1             the hand-written peer (peer-server.mjs) beside the service in the /v2 binary
//                            digit scenarios (0 skips it)
//   BENCH_PEER_PROCESSES=2   the peer's HTTP processes (the service's HTTP_PROCESSES default)
//   BENCH_COMPUTE_SECONDS=2  per compute-ceiling setting
//   BENCH_BATCH_SIZES=1,8,32,128  BENCH_THREADS=1,2
//   BENCH_HOSTILE=0          skips the hostile-body phase
//   BENCH_VERSIONS=50        versions for the cost-of-versions phase (0 skips it)
//   BENCH_LOG_LEVEL=info     the service's LOG_LEVEL (its stdout goes to /dev/null)
//   BENCH_SERVICE_ENV='{"MAX_BATCH_SIZE":"64"}'  extra settings for every service started
//   BENCH_MAX_SECONDS=1800   hard limit for the whole run; children are stopped
//   BENCH_NOISY_CORES=0.25   cells where other processes used more CPU are marked noisy
//   BENCH_NOISY_RETRIES=2    noisy cells the targets read are measured again (quick: 0)
//   BENCH_REPORT=bench/results/latest.json  re-print a saved run, measure nothing
//   BENCH_PROFILE=digits-v1-json@64[:off]  instead of the run: one cell with the service
//                            under node --cpu-prof, then its top self-time functions;
//                            peer:digits-v2-bin@64 profiles the hand-written peer instead
//
// `settings` is saved as it is in the results file (and restored from it by
// BENCH_REPORT); BENCH_NOISY_CORES and BENCH_REPORT are not part of it.
import { SCENARIOS } from './scenarios.mjs';

const env = process.env;
const QUICK = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
const list = (value, fallback) => (value ? value.split(',').map((s) => s.trim()).filter(Boolean) : fallback);
const numbers = (value, fallback) => list(value, fallback.map(String)).map(Number);

export const settings = {
  quick: QUICK,
  seconds: Number(env.BENCH_SECONDS ?? (QUICK ? 1 : 5)),
  // Each HTTP process (2 by default) warms its own JIT on its share of the requests: measured in A/B runs,
  // the first 5 s cell after a 1 s warm-up still ran 25-30% slower with two processes, none after 3 s.
  warmupSeconds: QUICK ? 1 : 3,
  connections: numbers(env.BENCH_CONNECTIONS, QUICK ? [1, 64, 256] : [1, 16, 64, 256]),
  // 16 images a request: 256 connections would queue 4,096 instances, past the service's MAX_QUEUE_SIZE
  // (2,048), so 503s there would be by design, not a finding.
  multiConnections: numbers(env.BENCH_MULTI_CONNECTIONS, QUICK ? [16] : [1, 16, 64]),
  scenarios: list(env.BENCH_SCENARIOS, SCENARIOS.map((s) => s.id)),
  offScenarios: list(env.BENCH_OFF_SCENARIOS, QUICK ? ['digits-v2-bin', 'digits-grpc'] : SCENARIOS.map((s) => s.id)),
  grpc: {
    // A few long-lived connections, as gRPC clients keep; spread over the service's HTTP processes.
    channels: Number(env.BENCH_GRPC_CHANNELS ?? 4),
    // Generator processes per cell, splitting the calls in flight and the channels.
    generators: Number(env.BENCH_GRPC_GENERATORS ?? 1),
    // Each generator process's own warm-up before its window (connections, its JIT), on top of the
    // per-scenario warm-up every server gets.
    warmupSeconds: QUICK ? 0.5 : 1,
    // Once per run: the same cell with twice the generator processes; throughput that does not rise says
    // the generator was not the limit.
    check: env.BENCH_GRPC_CHECK !== '0',
    // The check passes when two generators do not raise req/s by more than this (cells move by a few % anyway).
    checkTolerance: 0.1,
  },
  compute: {
    models: ['iris', 'digits'],
    batchSizes: numbers(env.BENCH_BATCH_SIZES, QUICK ? [1, 32] : [1, 8, 32, 128]),
    threads: numbers(env.BENCH_THREADS, QUICK ? [1] : [1, 2]),
    seconds: Number(env.BENCH_COMPUTE_SECONDS ?? (QUICK ? 0.5 : 2)),
    // The service runs inference in INFERENCE_WORKERS (default 2) worker threads.
    workers: 2,
  },
  // What a user would write instead of adopting the service (peer-server.mjs): the service must beat it.
  peer: {
    enabled: env.BENCH_PEER !== '0',
    // As many HTTP processes as the service's default HTTP_PROCESSES, on the same 2 cores.
    processes: Number(env.BENCH_PEER_PROCESSES ?? 2),
  },
  hostile: env.BENCH_HOSTILE !== '0',
  versions: Number(env.BENCH_VERSIONS ?? (QUICK ? 20 : 50)),
  logLevel: env.BENCH_LOG_LEVEL ?? 'info',
  serviceEnv: env.BENCH_SERVICE_ENV ? JSON.parse(env.BENCH_SERVICE_ENV) : {},
  maxSeconds: Number(env.BENCH_MAX_SECONDS ?? 1800),
  noisyRetries: Number(env.BENCH_NOISY_RETRIES ?? (QUICK ? 0 : 2)),
  profile: env.BENCH_PROFILE,
};

/** A saved results file to re-print instead of measuring (BENCH_REPORT). */
export const REPORT_FILE = env.BENCH_REPORT;

/**
 * Cores used by other work on the machine above which a cell (or the compute
 * phase) is flagged as noisy: on 2 cores, a quarter core taken by someone
 * else's test run moves req/s by tens of percent.
 */
export const NOISY_CORES = Number(env.BENCH_NOISY_CORES ?? 0.25);
export const noisy = (cpu) => cpu !== undefined && cpu.others > NOISY_CORES;

/** The connection counts a scenario runs at. */
export const connectionsFor = (scenario) => (scenario.rows > 1 ? settings.multiConnections : settings.connections);
