// One gRPC cell, the bench's side: starts grpc-load.mjs (one process, or
// several splitting the calls in flight), lets them connect, starts them
// together, meters the CPU of the server and of everything else over their
// measured window only, and merges their results into a cell shaped like
// wrk's (load.mjs), so the tables, the targets and the results file read both
// alike. Also the probe: one real ModelInfer call, its answer decoded and
// checked in full, before and after every cell.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuMeter } from './cpu.mjs';
import { decodeResponse, grpc, MODEL_INFER, rowsArgmaxOk, serializeRequest, statusName } from './grpc-proto.mjs';
import { pollCell } from './liveness.mjs';
import { sleep, startChild, stopChild, waitForMessage } from './processes.mjs';

const GENERATOR = path.join(import.meta.dirname, 'grpc-load.mjs');
/** How long calls in flight at the end of the window may take to be answered: the same 20 s as wrk's --timeout. */
const DEADLINE_SECONDS = 20;

let dir;
const files = new Map();

/** The scenario's ModelInferRequest, serialized once, in a temp file the generators read. */
function requestFile(scenario) {
  if (files.has(scenario.id)) return files.get(scenario.id);
  if (!dir) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-bench-grpc-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const file = path.join(dir, `${scenario.id}.bin`);
  writeFileSync(file, serializeRequest(scenario.grpcRequest));
  files.set(scenario.id, file);
  return file;
}

/** `total` split into `parts` whole shares, as even as can be (64 in 2: 32 and 32). */
const split = (total, parts) => Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));

/**
 * One real call, the answer decoded and checked in full (every row). Resolves
 * { ok, code, status, body }: `status` and `body` as the HTTP probe's, for
 * the same error messages.
 */
export async function probeGrpc(target, scenario, timeoutMs = 10_000) {
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
  try {
    const same = (bytes) => bytes;
    const bytes = serializeRequest(scenario.grpcRequest);
    const { error, response } = await new Promise((resolve) =>
      client.makeUnaryRequest(MODEL_INFER, same, same, bytes, { deadline: Date.now() + timeoutMs, waitForReady: true }, (e, r) => resolve({ error: e, response: r })),
    );
    if (error) return { ok: false, code: error.code, status: statusName(error.code), body: error.details ?? error.message };
    const decoded = decodeResponse(response);
    const ok = rowsArgmaxOk(decoded, scenario.rows, scenario.expectedClass);
    const summary = { ...decoded, raw_output_contents: decoded.raw_output_contents.map((b) => `<${b.length} bytes>`) };
    return { ok, code: grpc.status.OK, status: 'OK', body: JSON.stringify(summary) };
  } finally {
    client.close();
  }
}

/**
 * @param {object} cell
 * @param {string} cell.target        host:port of the gRPC server
 * @param {object} cell.scenario      a gRPC scenario of scenarios.mjs (grpcRequest, rows, expectedClass)
 * @param {number} cell.connections   calls in flight, in all (the column the tables call "conns")
 * @param {number} cell.seconds       measured window
 * @param {number} cell.channels      HTTP/2 connections in all (never more than the calls in flight)
 * @param {number} [cell.generators]  generator processes sharing the calls in flight and the channels
 * @param {number} [cell.warmupSeconds] calls before the window, not recorded (connections, JIT)
 * @param {number} [cell.serverPid]   the server's PID: the cell then carries `cpu` (cores of server,
 *                                    generators, everything else) over the measured window
 * @param {string} [cell.liveUrl]     the server's HTTP base URL: GET /health/live is polled over the
 *                                    measured window (liveness.mjs), its summary in the cell's `live`
 */
export async function runGrpcCell({ target, scenario, connections, seconds, channels, generators = 1, warmupSeconds = 1, serverPid, liveUrl }) {
  const inFlight = split(connections, generators);
  const channelShares = split(Math.max(generators, Math.min(channels, connections)), generators);
  const file = requestFile(scenario);
  const children = inFlight.map((calls, i) =>
    startChild(
      GENERATOR,
      [
        JSON.stringify({
          target,
          requestFile: file,
          inFlight: calls,
          channels: Math.min(calls, channelShares[i]),
          seconds,
          warmupSeconds,
          deadlineSeconds: DEADLINE_SECONDS,
          rows: scenario.rows,
          expectedClass: scenario.expectedClass,
          label: i,
        }),
      ],
      { ipc: true, name: `grpc-load ${scenario.id} @${connections}${generators > 1 ? ` #${i + 1}/${generators}` : ''}` },
    ),
  );
  let polls;
  let window = Promise.resolve();
  try {
    await Promise.all(children.map((child) => waitForMessage(child, 'ready', 30_000)));
    // Listening before 'go': a generator cannot answer before it is told to start.
    const results = Promise.all(children.map((child) => waitForMessage(child, 'result', (warmupSeconds + seconds + 30) * 1000)));
    for (const child of children) child.child.send({ type: 'go' });
    // The generators' windows open warmupSeconds after 'go' (within a few ms of each other): the meter's too.
    let meter;
    window = sleep(warmupSeconds * 1000).then(() => {
      if (serverPid) meter = cpuMeter(serverPid);
      if (liveUrl) polls = pollCell(liveUrl);
    });
    const parts = (await results).map((message) => message.result);
    await window;
    const cell = merge(parts, { connections, scenario, generators });
    if (meter) {
      cell.cpu = meter(cell.generatorCpuSeconds);
      // Several generator processes: each is one event loop, so the busiest one is what could limit.
      if (generators > 1) cell.cpu.loadGeneratorMax = Math.max(...cell.generatorCores);
    }
    // After the meter: a poll still in flight is waited for, outside the metered window.
    if (polls) cell.live = await polls.stop();
    // The calls still in flight are answered before the next cell starts.
    await Promise.all(children.map((child) => Promise.race([child.exit, sleep((DEADLINE_SECONDS + 5) * 1000)])));
    return cell;
  } finally {
    // A failed cell stops its polls too, once they have started (a no-op after the summary above).
    await window;
    await polls?.stop();
    for (const child of children) await stopChild(child, 2000);
  }
}

/** Several generators' results as one cell, in the fields of load.mjs's cellResult (latencies merged from their histograms). */
function merge(parts, { connections, scenario, generators }) {
  const sum = (key) => parts.reduce((total, p) => total + p[key], 0);
  const histogram = new Map();
  for (const p of parts) for (const [bucket, n] of p.histogram) histogram.set(bucket, (histogram.get(bucket) ?? 0) + n);
  const buckets = [...histogram.entries()].sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((t, [, n]) => t + n, 0);
  const percentile = (p) => {
    let seen = 0;
    for (const [bucket, n] of buckets) if ((seen += n) >= (p / 100) * total) return 1.01 ** (bucket + 0.5) / 1000;
    return Number.NaN;
  };
  const errorsByCode = {};
  for (const p of parts) for (const [code, n] of Object.entries(p.errorsByCode)) errorsByCode[code] = (errorsByCode[code] ?? 0) + n;
  const timeouts = errorsByCode.DEADLINE_EXCEEDED ?? 0;
  const notOk = sum('errors') - timeouts;
  const seconds = Math.max(...parts.map((p) => p.seconds));
  return {
    connections,
    generator: 'grpc-load',
    generators,
    channels: sum('channels'),
    seconds,
    requests: sum('requests'),
    // Each generator's rate over its own window (they open within milliseconds of each other).
    reqPerSec: sum('reqPerSec'),
    rowsPerSec: sum('rowsPerSec'),
    p50: percentile(50),
    p90: percentile(90),
    p99: percentile(99),
    max: Math.max(...parts.map((p) => p.max)),
    // The fields the tables and targets read: timeouts as "errors", every other non-OK status as "non-2xx".
    errors: timeouts,
    timeouts,
    non2xx: notOk,
    errorsByCode,
    wrongAnswers: sum('wrongAnswers'),
    answersChecked: sum('answersChecked'),
    totalErrors: timeouts + notOk + sum('wrongAnswers'),
    generatorCpuSeconds: sum('cpuSeconds'),
    generatorCores: parts.map((p) => Math.round(p.cores * 100) / 100),
  };
}
