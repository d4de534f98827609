import http from 'node:http';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from './support/load';
import { startServer, type ServerProcess } from './support/server-process';

/** The largest answers the service gives: the OpenAPI document, the pod's metrics, Swagger UI's bundle (1.5 MB). */
const LARGE_ANSWERS = ['/docs-json', '/metrics', '/docs/swagger-ui-bundle.js'];
const CONNECTIONS = 100;
const PIPELINED = 200;
const WATCHED_MS = 20_000;
const IRIS = JSON.stringify({ instances: [{ sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 }] });

/**
 * Runs hostile clients in a process of their own, as an attacker would be: `connections` connections, each
 * writing `requests` pipelined GETs of one of `paths` in one write and never reading an answer (the kernel's
 * receive buffer fills and the server's answers stay unsent). Resolves once all are connected and written;
 * `stop` closes them.
 */
async function hostileClients(port: number, paths: string[], connections: number, requests: number): Promise<{ stop: () => void }> {
  const script = `
    const { connect } = require('node:net');
    const [port, paths, connections, requests] = JSON.parse(process.argv[1]);
    let written = 0;
    for (let i = 0; i < connections; i++) {
      const socket = connect({ port, host: '127.0.0.1' });
      socket.on('error', () => undefined);
      socket.on('connect', () => {
        socket.write(\`GET \${paths[i % paths.length]} HTTP/1.1\\r\\nHost: models.test\\r\\n\\r\\n\`.repeat(requests), () => {
          if (++written === connections) process.send('written');
        });
        socket.pause();
      });
    }
    process.on('disconnect', () => process.exit(0));
  `;
  const child = spawn(process.execPath, ['-e', script, JSON.stringify([port, paths, connections, requests])], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`hostile clients exited with ${code}`)));
  });
  return { stop: () => child.kill('SIGKILL') };
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

describe('clients that pipeline requests and never read the answers (HTTP_PROCESSES=2)', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer({ HTTP_PROCESSES: '2' });
  });
  afterAll(async () => server?.stop());

  it('cannot grow the pod by more than 100 MB, slow /health/live, or stop a normal client predicting', async () => {
    // Warm every answer once, so the baseline includes what a normal run allocates, and the paths a hostile
    // client takes with a few such clients: what is measured is the pod's behaviour, not V8 compiling them.
    const warm = new http.Agent({ keepAlive: true });
    for (const path of [...LARGE_ANSWERS, '/health/live']) await send(server.url, { method: 'GET', path }, warm);
    warm.destroy();
    const warming = await hostileClients(server.port, LARGE_ANSWERS, LARGE_ANSWERS.length * 2, PIPELINED);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    warming.stop();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rssBefore = server.rssBytes();
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, server.rssBytes())), 100);

    const hostile = hostileClients(server.port, LARGE_ANSWERS, CONNECTIONS, PIPELINED);

    // Meanwhile: a kubelet's liveness probe every 50 ms, and a client predicting on its own connection.
    const probes: number[] = [];
    const probeFailures: string[] = [];
    const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const probing = setInterval(() => {
      void send(server.url, { method: 'GET', path: '/health/live' }, probeAgent, 5_000).then((outcome) => {
        if (outcome.status === 200) probes.push(outcome.ms);
        else probeFailures.push(outcome.error ?? String(outcome.status));
      });
    }, 50);
    const predictAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const predictions: number[] = [];
    const deadline = Date.now() + WATCHED_MS;
    while (Date.now() < deadline) {
      const outcome = await send(
        server.url,
        { method: 'POST', path: '/v1/models/iris/predict', headers: { 'content-type': 'application/json' }, body: IRIS },
        predictAgent,
        5_000,
      );
      predictions.push(outcome.status ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    clearInterval(probing);
    clearInterval(sampler);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    (await hostile).stop();
    probeAgent.destroy();
    predictAgent.destroy();

    const sorted = [...probes].sort((a, b) => a - b);
    const report = {
      rss_before_mb: Math.round(rssBefore / 2 ** 20),
      rss_peak_mb: Math.round(rssPeak / 2 ** 20),
      probes: probes.length,
      probe_failures: probeFailures.length,
      live_p50_ms: Math.round(percentile(sorted, 0.5) * 10) / 10,
      live_p99_ms: Math.round(percentile(sorted, 0.99) * 10) / 10,
      live_max_ms: Math.round(sorted.at(-1)! * 10) / 10,
      predictions: predictions.length,
      predictions_failed: predictions.filter((status) => status !== 200).length,
    };
    console.log(`hostile pipelining: ${JSON.stringify(report)}`);

    expect(rssPeak - rssBefore).toBeLessThanOrEqual(100 * 2 ** 20);
    expect(probeFailures).toEqual([]);
    expect(probes.length).toBeGreaterThan(WATCHED_MS / 50 / 2);
    expect(percentile(sorted, 0.99)).toBeLessThan(100);
    expect(predictions.length).toBeGreaterThan(50);
    expect(predictions.every((status) => status === 200)).toBe(true);
    // Every hostile connection sent more than MAX_PIPELINED_REQUESTS (32) unanswered requests: each was closed.
    const warmingClosed = LARGE_ANSWERS.length * 2;
    expect(metrics).toMatch(new RegExp(`http_connections_closed_total\\{reason="too_many_pipelined_requests"\\} ${CONNECTIONS + warmingClosed}\\b`));
  }, 90_000);
});
