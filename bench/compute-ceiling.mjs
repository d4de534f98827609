// The compute ceiling: onnxruntime-node directly on the same model files, no
// HTTP, no copies between threads. Runs in its own process (forked by phases/compute-ceiling.mjs)
// so the load generator never shares its thread.
//
// Two figures per model:
// - single: one session on this thread, every batch size x intraOpNumThreads;
//   the best rows/s is "the compute ceiling" the service is compared with;
// - parallel: N sessions in N worker threads (intraOpNumThreads 1 each), as
//   the service runs them, all at once, per batch size.
//
// Usage: node bench/compute-ceiling.mjs '<json settings>' (with an IPC channel)
//   settings: { models: ['iris','digits'], batchSizes: [1,8,32,128], threads: [1,2], seconds: 2, workers: 2 }
// Replies {type:'result', result} or {type:'error', message}.
import { createRequire } from 'node:module';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

async function createSession(file, intraOpNumThreads) {
  // The same options as the service's adapter (src/inference/onnx-runtime.adapter.ts).
  return ort.InferenceSession.create(file, { intraOpNumThreads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
}

function batchFeeds(model, batch) {
  const rowSize = model.row.length;
  const data = new Float32Array(rowSize * batch);
  for (let r = 0; r < batch; r++) data.set(model.row, r * rowSize);
  return { [model.input]: new ort.Tensor('float32', data, [batch, ...model.rowDims]) };
}

/** Runs back to back for `seconds` (after a short warm-up); rows/s and mean time per run. */
async function measure(session, feeds, batch, seconds) {
  const warmUntil = performance.now() + Math.min(300, seconds * 200);
  do await session.run(feeds);
  while (performance.now() < warmUntil);
  let runs = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until || runs < 3) {
    await session.run(feeds);
    runs++;
  }
  const elapsed = (performance.now() - started) / 1000;
  return { runs, rows: runs * batch, elapsed, rowsPerSec: (runs * batch) / elapsed, msPerRun: (elapsed * 1000) / runs };
}

if (!isMainThread) {
  // A worker of the parallel measurement: one session, runs when told to.
  const { model } = workerData;
  const session = await createSession(model.file, 1);
  parentPort.on('message', async (message) => {
    if (message.op === 'run') {
      const result = await measure(session, batchFeeds(model, message.batch), message.batch, message.seconds);
      parentPort.postMessage(result);
    } else if (message.op === 'close') {
      await session.release();
      parentPort.close();
    }
  });
  parentPort.postMessage({ ready: true });
} else {
  main().then(
    (result) => {
      if (process.send) process.send({ type: 'result', result });
      else console.log(JSON.stringify(result, null, 2));
      process.disconnect?.();
    },
    (error) => {
      process.send?.({ type: 'error', message: error.stack ?? String(error) });
      process.exitCode = 1;
      process.disconnect?.();
    },
  );
}

async function main() {
  const settings = JSON.parse(process.argv[2]);
  const { COMPUTE_MODELS } = await import('./scenarios.mjs');
  const result = {};
  for (const name of settings.models) {
    const model = COMPUTE_MODELS.find((m) => m.name === name);
    const single = [];
    for (const threads of settings.threads) {
      const session = await createSession(model.file, threads);
      for (const batch of settings.batchSizes) {
        single.push({ batch, intraOpThreads: threads, ...(await measure(session, batchFeeds(model, batch), batch, settings.seconds)) });
      }
      await session.release();
    }
    const parallel = settings.workers > 1 ? await measureParallel(model, settings) : [];
    const best = (rows) => rows.reduce((a, b) => (b.rowsPerSec > a.rowsPerSec ? b : a), rows[0]);
    result[name] = { single, parallel, best: best(single), bestParallel: parallel.length ? best(parallel) : undefined };
  }
  return result;
}

async function measureParallel(model, settings) {
  const plainModel = { file: model.file, input: model.input, rowDims: model.rowDims, row: model.row };
  const workers = Array.from({ length: settings.workers }, () => new Worker(new URL(import.meta.url), { workerData: { model: plainModel } }));
  const next = (worker) =>
    new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  try {
    await Promise.all(workers.map(next));
    const rows = [];
    for (const batch of settings.batchSizes) {
      const replies = workers.map(next);
      for (const worker of workers) worker.postMessage({ op: 'run', batch, seconds: settings.seconds });
      const results = await Promise.all(replies);
      const total = results.reduce((sum, r) => sum + r.rows, 0);
      const elapsed = Math.max(...results.map((r) => r.elapsed));
      rows.push({
        batch,
        workers: settings.workers,
        intraOpThreads: 1,
        rows: total,
        elapsed,
        rowsPerSec: total / elapsed,
        msPerRun: results.reduce((sum, r) => sum + r.msPerRun, 0) / results.length,
      });
    }
    return rows;
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
