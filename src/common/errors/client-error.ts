import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody } from './error-body';

/**
 * Answers requests Node's HTTP parser cannot read (bad framing, bad header
 * bytes, headers too large) with the service's error shape and, unlike
 * Fastify's default, with `Connection: close`: the socket is closed right
 * after, and a keep-alive client must know not to send its next request on it.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'the request was not received completely in time (REQUEST_TIMEOUT_MS)']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'request headers are larger than the server accepts']
        : [400, `malformed HTTP request (${error.code ?? 'parse error'})`];
  const body = JSON.stringify(errorBody(status, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
