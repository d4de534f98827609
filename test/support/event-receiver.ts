import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedEvent {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface EventReceiver {
  readonly url: string;
  /** Every request received, answered or not, in arrival order. */
  readonly events: ReceivedEvent[];
  /** Requests answered so far (always 0 for a receiver that hangs). */
  readonly answered: number;
  /** Requests received and still waiting for an answer. */
  readonly held: number;
  close(): Promise<void>;
}

/**
 * A CloudEvents receiver on a free loopback port, as a test's stand-in for a KServe message dumper:
 * it records every POST; `answer: 'hang'` reads each request whole and then never answers it,
 * holding the connection open until `close`.
 */
export async function startEventReceiver(answer: 'ok' | 'hang' = 'ok'): Promise<EventReceiver> {
  const events: ReceivedEvent[] = [];
  const waiting = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let answered = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      events.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (answer === 'hang') {
        waiting.add(response);
        return;
      }
      answered++;
      response.writeHead(202).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    events,
    get answered() {
      return answered;
    },
    get held() {
      return [...waiting].filter((response) => !response.writableEnded && !response.destroyed).length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
