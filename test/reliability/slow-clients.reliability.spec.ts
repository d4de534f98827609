import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from './support/server-process';

const REQUEST_TIMEOUT_MS = 2000;
/** Far above the timeout and Node's check interval here, far below the 30 s interval it had before. */
const ANSWERED_WITHIN_MS = 10_000;

/**
 * Opens a raw connection, sends `head`, then trickles one byte of `trickle`
 * every 200 ms; resolves with what the server answered and after how long.
 */
function trickle(port: number, head: string, trickled: string): Promise<{ answer: string; afterMs: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearInterval(timer);
      socket.destroy();
      resolve({ answer, afterMs: performance.now() - started });
    };
    socket.on('connect', () => {
      socket.write(head);
      let i = 0;
      timer = setInterval(() => {
        if (!socket.destroyed && socket.writable) socket.write(trickled[i++ % trickled.length]);
      }, 200);
    });
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('close', finish);
    socket.on('error', finish);
    setTimeout(finish, ANSWERED_WITHIN_MS * 2).unref();
  });
}

describe('slow clients', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer({ REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
  });
  afterAll(async () => server?.stop());

  it('a client trickling its headers gets a 408 soon after REQUEST_TIMEOUT_MS', async () => {
    const { answer, afterMs } = await trickle(server.port, 'POST /v1/models/iris/predict HTTP/1.1\r\nHost: x\r\nX-Slow: ', 'abcdefgh');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('REQUEST_TIMEOUT_MS');
    expect(afterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(afterMs).toBeLessThan(ANSWERED_WITHIN_MS);
  });

  it('a client trickling its body gets a 408 soon after REQUEST_TIMEOUT_MS', async () => {
    const { answer, afterMs } = await trickle(
      server.port,
      'POST /v1/models/iris/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"instances":[',
      '[1,2,3,4],',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(afterMs).toBeLessThan(ANSWERED_WITHIN_MS);
    // The service itself stayed responsive meanwhile.
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
  });
});
