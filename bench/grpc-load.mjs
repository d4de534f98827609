// The gRPC load generator: a closed loop on @grpc/grpc-js, in a process of its
// own (like wrk, so its CPU is measured apart from the server's and from the
// bench's), against inference.GRPCInferenceService/ModelInfer.
//
//   node bench/grpc-load.mjs '{"target":"127.0.0.1:8001","requestFile":"/tmp/x.bin","inFlight":64,"channels":4,
//                              "seconds":5,"warmupSeconds":1,"rows":1,"expectedClass":7}'
//
// - `channels` channels, each its own HTTP/2 connection: 'grpc.use_local_subchannel_pool' and an option
//   of its own per channel, so grpc-js does not fold them onto one shared subchannel; retries and
//   channelz off (`channelOptions` adds or overrides channel options);
// - `inFlight` calls always in flight, call i on channel i % channels: each answer starts the next call;
// - the request is the ModelInferRequest's bytes, read once from `requestFile` (serialized by the bench
//   from the .proto): a generic client's serialize function hands back that same Buffer, and its
//   deserialize keeps the answer's bytes as they came, so no call encodes or decodes a message;
// - every answer's status is counted by code; one OK answer in `checkEvery` is decoded and checked
//   (`rows` rows, each with its largest value at `expectedClass`); no deadline is sent (`sendDeadline`
//   sends one of `deadlineSeconds`), like wrk's HTTP requests; calls still unanswered `deadlineSeconds`
//   after the window are abandoned when the process exits;
// - `warmupSeconds` of calls first (connections, JIT, the server's batches), not recorded; then
//   `seconds` measured: calls answered within the window count, latency goes to a log histogram
//   (1% buckets, mergeable across generator processes), and the process's own CPU time
//   (process.cpuUsage: every thread) over the window is reported.
//
// One JSON line on stdout at the end of the window. Under the bench (forked with an IPC channel) it
// also sends {type:'ready'} once every channel is connected, waits for {type:'go'} before the first
// call, so that several generators start together, and sends {type:'result', result}.
import { readFileSync } from 'node:fs';
import { decodeResponse, grpc, MODEL_INFER, rowsArgmaxOk, statusName } from './grpc-proto.mjs';

const config = {
  warmupSeconds: 1,
  deadlineSeconds: 20,
  rows: 1,
  checkEvery: 16,
  label: 0,
  ...JSON.parse(process.argv[2] ?? '{}'),
};
const { target, inFlight, channels, seconds, warmupSeconds, deadlineSeconds, rows, expectedClass, checkEvery } = config;
if (!target || !config.requestFile || !(inFlight >= 1) || !(channels >= 1) || !(seconds > 0)) {
  process.stderr.write('usage: node bench/grpc-load.mjs \'{"target":"host:port","requestFile":"...","inFlight":N,"channels":M,"seconds":S}\'\n');
  process.exit(1);
}

function fail(message) {
  process.stderr.write(`grpc-load: ${message}\n`);
  if (process.send) process.send({ type: 'error', message }, () => process.exit(1));
  else process.exit(1);
}

const request = readFileSync(config.requestFile);
const same = (bytes) => bytes;
// grpc-js takes a `new Error()` at every call, for the stack of a failed call's error: not read here
// (errors are counted by code), and capturing it costs every call.
Error.stackTraceLimit = 0;

// Separate connections: a local subchannel pool per channel, and an option no other channel has.
const clients = Array.from(
  { length: Math.min(channels, inFlight) },
  (_, i) =>
    new grpc.Client(target, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'bench.channel_index': `${config.label}-${i}`,
      // No transparent retries: every failed call counts as what it was. No channelz bookkeeping per call.
      'grpc.enable_retries': 0,
      'grpc.enable_channelz': 0,
      ...config.channelOptions,
    }),
);

// Latency histogram: bucket b holds latencies in [1.01^b, 1.01^(b+1)) µs; 2,048 buckets reach past 20 s.
const LOG_STEP = Math.log(1.01);
const histogram = new Float64Array(2048);
const counts = { requests: 0, ok: 0, checked: 0, wrong: 0, byCode: {} };
let phase = 'warmup'; // then 'measure', then 'stop'
let windowStart = 0;
let windowEnd = 0;
let inFlightNow = 0;
let okSinceCheck = 0;

function record(error, response, started, now) {
  counts.requests++;
  const us = Math.max(1, (now - started) * 1000);
  histogram[Math.min(histogram.length - 1, Math.floor(Math.log(us) / LOG_STEP))]++;
  if (error) {
    const name = statusName(error.code);
    counts.byCode[name] = (counts.byCode[name] ?? 0) + 1;
    return;
  }
  counts.ok++;
  if (++okSinceCheck >= checkEvery && expectedClass !== undefined) {
    okSinceCheck = 0;
    counts.checked++;
    let right = false;
    try {
      right = rowsArgmaxOk(decodeResponse(response), rows, expectedClass);
    } catch {
      right = false;
    }
    if (!right) counts.wrong++;
  }
}

function call(slot) {
  const client = clients[slot % clients.length];
  const started = performance.now();
  inFlightNow++;
  // No deadline sent by default, as wrk's requests to /v2 carry none (and tritonclient's calls by default).
  const options = config.sendDeadline ? { deadline: Date.now() + deadlineSeconds * 1000 } : {};
  client.makeUnaryRequest(MODEL_INFER, same, same, request, options, (error, response) => {
    inFlightNow--;
    const now = performance.now();
    if (phase === 'measure' && now >= windowStart) record(error, response, started, now);
    if (phase === 'stop') {
      if (inFlightNow === 0) finish();
      return;
    }
    call(slot);
  });
}

function percentile(p) {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return Number.NaN;
  let seen = 0;
  for (let b = 0; b < histogram.length; b++) {
    seen += histogram[b];
    // The bucket's geometric middle, in ms.
    if (seen >= (p / 100) * total) return 1.01 ** (b + 0.5) / 1000;
  }
  return Number.NaN;
}

function result(cpu, measured) {
  const errors = Object.values(counts.byCode).reduce((a, b) => a + b, 0);
  const top = histogram.findLastIndex((n) => n > 0);
  return {
    generator: 'grpc-load',
    pid: process.pid,
    target,
    inFlight,
    channels: clients.length,
    seconds: measured,
    requests: counts.requests,
    ok: counts.ok,
    reqPerSec: counts.requests / measured,
    // Answers checked are a sample: a wrong one among them is taken off, the rest are taken as right.
    rowsPerSec: (Math.max(0, counts.ok - counts.wrong) * rows) / measured,
    p50: percentile(50),
    p90: percentile(90),
    p99: percentile(99),
    max: top < 0 ? Number.NaN : 1.01 ** (top + 1) / 1000,
    errors,
    errorsByCode: counts.byCode,
    answersChecked: counts.checked,
    wrongAnswers: counts.wrong,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    cores: (cpu.user + cpu.system) / 1e6 / measured,
    // Sparse [bucket, count] pairs, so that the bench can merge several generators' latencies.
    histogram: [...histogram.entries()].filter(([, n]) => n > 0),
  };
}

let finished = false;
let reported = Promise.resolve();
function finish() {
  if (finished) return;
  finished = true;
  for (const client of clients) client.close();
  // Exits once the result has left on the IPC channel (if any) and every handle is gone; bounded anyway.
  reported.then(() => process.disconnect?.());
  setTimeout(() => process.exit(0), 2000).unref();
}

function start() {
  for (let slot = 0; slot < inFlight; slot++) call(slot);
  setTimeout(() => {
    phase = 'measure';
    windowStart = performance.now();
    const cpuStart = process.cpuUsage();
    setTimeout(() => {
      windowEnd = performance.now();
      const cpu = process.cpuUsage(cpuStart);
      phase = 'stop';
      const r = result(cpu, (windowEnd - windowStart) / 1000);
      process.stdout.write(`${JSON.stringify(r)}\n`);
      if (process.send) reported = new Promise((resolve) => process.send({ type: 'result', result: r }, resolve));
      // Calls still in flight are answered (for at most deadlineSeconds), so the next cell starts on an idle server.
      if (inFlightNow === 0) finish();
      setTimeout(finish, (deadlineSeconds + 2) * 1000).unref();
    }, seconds * 1000);
  }, warmupSeconds * 1000);
}

// Every channel connected before anything is timed.
const connectBy = Date.now() + 15_000;
Promise.all(clients.map((client) => new Promise((resolve, reject) => client.waitForReady(connectBy, (error) => (error ? reject(error) : resolve())))))
  .then(() => {
    if (!process.send) return start();
    process.send({ type: 'ready' });
    process.once('message', (message) => (message?.type === 'go' ? start() : fail(`unexpected message ${JSON.stringify(message)}`)));
  })
  .catch((error) => fail(`could not connect to ${target}: ${error.message}`));
