// The HTTP ceiling: a bare Fastify 5 server (the same Fastify the service runs
// on) in its own process. Each route takes exactly the request a service
// scenario takes, parses its body the way the service must (JSON, or the JSON
// header plus float32 tensor of the binary extension) and answers a constant
// body captured from the service, so the response has the same size. No
// validation, no Nest, no hooks, no logging, no inference: what is left is
// the cost of HTTP and JSON on this machine, the most the service could do.
//
// Usage (by phases/servers-start.mjs): node bench/ceiling-server.mjs <routes.json>, forked with
// an IPC channel; sends {type:'listening', port} once it listens on 127.0.0.1.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Fastify = require('fastify');

/** [{ path, requestBytes, contentType, answerBase64 }] */
const routes = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const app = Fastify({ logger: false });

// The binary tensor extension: `inference-header-content-length` bytes of JSON, then raw little-endian floats.
app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (request, body, done) => {
  try {
    const headerLength = Number(request.headers['inference-header-content-length'] ?? body.length);
    const header = JSON.parse(body.subarray(0, headerLength).toString('utf8'));
    // A copy, as the service makes one: the body buffer is not aligned for a Float32Array view.
    const rest = body.subarray(headerLength);
    const tensor = new Float32Array(rest.length / 4);
    Buffer.from(tensor.buffer).set(rest);
    done(null, { header, tensor });
  } catch (error) {
    done(error, undefined);
  }
});

// Scenarios may share a URL (1 and 16 images to /v2/models/digits/infer): their requests differ in size,
// and so do the service's answers, so the answer is picked by the request's Content-Length.
const byPath = new Map();
for (const route of routes) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route]);
for (const [url, answers] of byPath) {
  const bySize = new Map(answers.map((route) => [String(route.requestBytes), { contentType: route.contentType, body: Buffer.from(route.answerBase64, 'base64') }]));
  const fallback = bySize.values().next().value;
  app.post(url, async (request, reply) => {
    // Touch the parsed body so the parse cannot be skipped, as a handler reading its input would.
    if (request.body === undefined || request.body === null) return reply.code(400).send();
    const answer = bySize.get(request.headers['content-length']) ?? fallback;
    return reply.header('content-type', answer.contentType).send(answer.body);
  });
}

// A constant liveness answer: the bench polls /health/live during every cell, and on one saturated event
// loop even this waits its turn, which is the reference for the service's and the peer's polls.
app.get('/health/live', async () => ({ status: 'ok' }));

const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ type: 'listening', port: app.server.address().port, address });

const close = () => {
  app.close().finally(() => process.exit(0));
};
process.on('SIGTERM', close);
process.on('SIGINT', close);
// The orchestrator went away: do not outlive it.
process.on('disconnect', close);
