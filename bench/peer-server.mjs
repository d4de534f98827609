// The peer: the server a user would write by hand instead of adopting a model
// server, "30 lines of Fastify and onnxruntime-node". A cluster of HTTP
// processes (2 by default, as the service's HTTP_PROCESSES), each with its own
// session of the digit CNN, one session.run per request on the event loop (no
// batching, no worker threads), the body a raw little-endian float32 tensor of
// n x 1 x 28 x 28 images, the answer JSON: {"probabilities": [[...10 floats], ...]}.
// No validation, logging, metrics or health logic beyond a constant /health/live.
//
// Usage: node bench/peer-server.mjs [port] [processes]; prints {"type":"listening","port":...}
// on stdout (and over IPC when forked) once every process listens on 127.0.0.1
// (port 0: a free port). A process that dies before it listens is reported as
// {"type":"error","message":...} and the primary exits. On SIGTERM the primary
// stops its processes and exits once they have, so a profile written at their
// exit (node --cpu-prof, inherited by cluster.fork) is complete when it is gone.
// The bench's additions (these messages, the orderly stop) are not part of the
// request path.
import cluster from 'node:cluster';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.argv[2] ?? 0);
const processes = Number(process.argv[3] ?? 2);

if (cluster.isPrimary) {
  // Port 0 would give each process its own port: the primary picks one free port for all.
  const { freePort } = await import('./processes.mjs');
  const chosen = port || (await freePort());
  const report = (line) => {
    console.log(JSON.stringify(line));
    process.send?.(line);
  };
  let listening = 0;
  let stopping = false;
  for (let i = 0; i < processes; i++) {
    const worker = cluster.fork({ PEER_PORT: String(chosen) });
    worker.on('message', (message) => {
      if (message?.type === 'listening' && ++listening === processes) report({ type: 'listening', port: chosen });
    });
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      report({ type: 'error', message: `process ${worker.process.pid} exited (code ${code}, signal ${signal})` });
      stop();
    });
  }
  function stop() {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers);
    let left = workers.length;
    const done = () => --left <= 0 && process.exit(0);
    for (const worker of workers) {
      worker.once('exit', done);
      worker.process.kill('SIGTERM');
    }
    if (!left) process.exit(0);
    // Bounded: a process that does not stop is left to its parent's SIGKILL.
    setTimeout(() => process.exit(0), 5000).unref();
  }
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('disconnect', stop);
} else {
  const ort = require('onnxruntime-node');
  const Fastify = require('fastify');
  const session = await ort.InferenceSession.create(path.join(ROOT, 'models/digits/1/model.onnx'), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.get('/health/live', async () => ({ status: 'ok' }));
  app.post('/predict', async (request) => {
    const body = request.body;
    // A copy: the body is not aligned for a Float32Array view.
    const floats = new Float32Array(body.length / 4);
    Buffer.from(floats.buffer).set(body);
    const images = floats.length / 784;
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', floats, [images, 1, 28, 28]) };
    const output = (await session.run(feeds))[session.outputNames[0]];
    const classes = output.dims[1];
    const probabilities = [];
    for (let i = 0; i < images; i++) probabilities.push(Array.from(output.data.subarray(i * classes, (i + 1) * classes)));
    return { probabilities };
  });
  await app.listen({ port: Number(process.env.PEER_PORT), host: '127.0.0.1' });
  process.send?.({ type: 'listening' });
  process.on('SIGTERM', () => app.close().finally(() => process.exit(0)));
}
