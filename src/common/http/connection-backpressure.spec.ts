import Fastify, { type FastifyInstance } from 'fastify';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConnectionCloseReason, type ConnectionLimits, installConnectionBackpressure } from './connection-backpressure';

// Larger than what the kernel buffers on loopback (several MB between the two ends), so answers do stay unsent.
const ANSWER_BYTES = 1_000_000;

interface Server {
  app: FastifyInstance;
  port: number;
  /** How many requests reached the handler. */
  handled: () => number;
  closes: ConnectionCloseReason[];
}

async function serverWith(limits: Partial<ConnectionLimits>): Promise<Server> {
  const app = Fastify();
  const closes: ConnectionCloseReason[] = [];
  installConnectionBackpressure(
    app,
    { maxPipelinedRequests: 32, maxUnsentBytes: 65_536, stalledSendTimeoutMs: 0, ...limits },
    (reason) => closes.push(reason),
  );
  let handled = 0;
  app.get('/large/:n', async (request) => {
    handled++;
    return `${(request.params as { n: string }).n}:${'x'.repeat(ANSWER_BYTES)}\n`;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return { app, port: typeof address === 'object' && address ? address.port : 0, handled: () => handled, closes };
}

function pipeline(port: number, count: number): Socket {
  const socket = connect({ port, host: '127.0.0.1' });
  socket.on('error', () => undefined);
  const requests = Array.from({ length: count }, (_, i) => `GET /large/${i} HTTP/1.1\r\nHost: test\r\n\r\n`).join('');
  socket.on('connect', () => socket.write(requests));
  return socket;
}

/** Reads everything the server sends until it has `count` answers or closes; the answers' numbers, in order. */
function readAnswers(socket: Socket, count: number): Promise<{ order: number[]; closed: boolean }> {
  return new Promise((resolve) => {
    const order: number[] = [];
    // Answers are megabytes: look for each one's start in what arrived, with a little of the previous chunk.
    let tail = '';
    socket.on('data', (chunk) => {
      const text = tail + chunk.toString('latin1');
      for (const match of text.matchAll(/\r\n\r\n(\d+):x/g)) {
        if (match.index + match[0].length > tail.length) order.push(Number(match[1]));
      }
      tail = text.slice(-32);
      if (order.length >= count && text.endsWith('\n')) resolve({ order, closed: false });
    });
    socket.on('close', () => resolve({ order, closed: true }));
    socket.resume();
  });
}

const until = async (condition: () => boolean, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
};

describe('connection backpressure', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await server?.app.close();
    server = undefined;
  });

  it('answers every request of a pipelining client that reads, in order', async () => {
    server = await serverWith({});
    const socket = pipeline(server.port, 30);
    const { order, closed } = await readAnswers(socket, 30);
    socket.destroy();
    expect(closed).toBe(false);
    expect(order).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('computes no further answers while a client that does not read has answers unsent, and goes on when it reads', async () => {
    server = await serverWith({});
    const socket = pipeline(server.port, 30);
    socket.pause();
    // Some answers fill the kernel's buffers and the bound on unsent bytes; then the handler stops being called.
    await until(() => server!.handled() > 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const handledWhileUnread = server.handled();
    expect(handledWhileUnread).toBeLessThan(30);
    const { order } = await readAnswers(socket, 30);
    socket.destroy();
    expect(order).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(server.handled()).toBe(30);
  });

  it('closes a connection that sends more requests than MAX_PIPELINED_REQUESTS without their answers going out', async () => {
    server = await serverWith({ maxPipelinedRequests: 8 });
    const socket = pipeline(server.port, 200);
    socket.pause();
    await until(() => server!.closes.length > 0);
    expect(server.closes).toEqual(['too_many_pipelined_requests']);
    // The requests past the bound were never handled: closing cost the server nothing more.
    expect(server.handled()).toBeLessThanOrEqual(8);
    socket.destroy();
  });

  it('closes a connection whose waiting answers do not move for the stall timeout', async () => {
    server = await serverWith({ stalledSendTimeoutMs: 300 });
    const socket = pipeline(server.port, 30);
    socket.pause();
    await until(() => server!.closes.length > 0);
    expect(server.closes).toEqual(['stalled_send']);
    socket.destroy();
  });

  it('keeps a slow reader open while its answers keep going out', async () => {
    server = await serverWith({ stalledSendTimeoutMs: 1_000 });
    const socket = pipeline(server.port, 30);
    // About 5 MB/s: far slower than the server writes (requests wait), each answer out in about 200 ms,
    // all of them in about 6 s: well past the stall timeout.
    socket.pause();
    const trickle = setInterval(() => {
      while (socket.read(65_536) !== null) if (socket.readableLength === 0) break;
    }, 12);
    await until(() => server!.handled() === 30, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    clearInterval(trickle);
    expect(server.closes).toEqual([]);
    expect(server.handled()).toBe(30);
    socket.destroy();
  });
});
