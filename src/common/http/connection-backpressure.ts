import type { FastifyInstance, FastifyServerFactory } from 'fastify';
import http from 'node:http';
import { Socket } from 'node:net';

export interface ConnectionLimits {
  /** Requests one connection may have sent and not yet had answered; one more closes the connection. */
  maxPipelinedRequests: number;
  /** Bytes of answers waiting in one connection's send buffer above which its next request waits. */
  maxUnsentBytes: number;
  /** A connection with waiting requests whose answers do not move for this long (ms) is closed; 0 = never. */
  stalledSendTimeoutMs: number;
}

export type ConnectionCloseReason = 'too_many_pipelined_requests' | 'stalled_send';

/**
 * Requests of one connection that run at once. Node answers a connection's
 * requests in order, so an answer computed ahead of the ones before it only
 * waits in memory; a few at once keep pipelining clients (rare: browsers,
 * curl and the usual HTTP libraries do not pipeline) fed, and batching draws
 * on many connections, not on one.
 */
const RUNNING_PER_CONNECTION = 4;

const QUEUE = Symbol('connection request queue');

type SocketWithQueue = Socket & { [QUEUE]?: ConnectionQueue };

/**
 * Per-connection backpressure for HTTP/1.1. Node parses every request of a
 * chunk it reads, and Fastify starts each at once: a client that pipelines
 * hundreds of requests in one write and never reads the answers made the
 * server compute all of them and hold every answer in memory (100 such
 * connections took two HTTP processes past 2 GB). Here the requests of one
 * connection run a few at a time; the next waits while earlier answers are
 * unsent beyond a bound, and reading from the connection stops meanwhile.
 * A connection that has more requests outstanding than the cap, or whose
 * waiting answers make no progress for the stall timeout, is closed:
 * neither is a client that reads its answers.
 *
 * Registered right after the request-context hook, so a request's recorded
 * duration includes the time it waited here.
 */
export function installConnectionBackpressure(
  fastify: FastifyInstance,
  limits: ConnectionLimits,
  closed: (reason: ConnectionCloseReason, socket: Socket, outstanding: number) => void,
): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const socket = request.raw.socket as SocketWithQueue;
    // Requests injected in tests (light-my-request) have a stand-in socket with nothing to send on.
    if (!(socket instanceof Socket)) {
      done();
      return;
    }
    const queue = (socket[QUEUE] ??= new ConnectionQueue(socket, limits, closed));
    queue.admit(done);
  });
  fastify.addHook('onResponse', (request, _reply, done) => {
    (request.raw.socket as SocketWithQueue)[QUEUE]?.answered();
    done();
  });
}

/**
 * The HTTP/1.1 server Fastify makes by default (fastify/lib/server.js: the
 * same options and timeouts), except that a request whose connection is
 * already closed never reaches Fastify. Node goes on parsing a chunk of
 * pipelined requests after the connection that sent them is closed below;
 * routing each, building its request and reply and running the hooks only to
 * drop it was about a third of what a client pipelining 200 requests cost.
 */
export const httpServerSkippingClosedConnections: FastifyServerFactory = (handler, fastifyOptions) => {
  const options = fastifyOptions as FastifyHttpOptions;
  const server = http.createServer(options.http ?? {}, (request, response) => {
    if (!request.socket.destroyed) handler(request, response);
  });
  if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
  if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
  server.setTimeout(options.connectionTimeout ?? 0);
  if (options.maxRequestsPerSocket !== undefined && options.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
  return server;
};

/** The options Fastify applies to the HTTP/1.1 server it makes, with its defaults filled in. */
interface FastifyHttpOptions {
  http?: http.ServerOptions;
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number;
}

class ConnectionQueue {
  /** Requests received and not yet answered: running or waiting. */
  private outstanding = 0;
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private stallTimer: NodeJS.Timeout | undefined;
  private waitingForDrain = false;

  constructor(
    private readonly socket: Socket,
    private readonly limits: ConnectionLimits,
    private readonly closed: (reason: ConnectionCloseReason, socket: Socket, outstanding: number) => void,
  ) {
    socket.once('close', () => {
      clearTimeout(this.stallTimer);
      // The waiting requests' answers could never be sent: let them go with the socket.
      this.waiting.length = 0;
    });
  }

  admit(start: () => void): void {
    this.outstanding++;
    if (this.outstanding > this.limits.maxPipelinedRequests) {
      // Its requests are not answered and never will be: there is no one to answer in order.
      this.close('too_many_pipelined_requests');
      return;
    }
    if (this.waiting.length === 0 && this.mayRun()) {
      this.running++;
      start();
      return;
    }
    this.waiting.push(start);
    this.socket.pause();
    this.watch(false);
  }

  answered(): void {
    // Clamped: a request the router refused before any hook ran is answered without being admitted.
    this.outstanding = Math.max(0, this.outstanding - 1);
    this.running = Math.max(0, this.running - 1);
    if (this.waiting.length > 0) this.startWaiting();
  }

  private mayRun(): boolean {
    return this.running < RUNNING_PER_CONNECTION && this.socket.writableLength < this.limits.maxUnsentBytes;
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && this.mayRun()) {
      this.running++;
      this.waiting.shift()!();
    }
    if (this.waiting.length === 0) {
      clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
      if (!this.socket.destroyed) this.socket.resume();
    } else {
      this.watch(true);
    }
  }

  /** While requests wait: when answers drain, try them again; with no progress for the stall timeout, close. */
  private watch(progressed: boolean): void {
    if (!this.waitingForDrain && this.socket.writableLength >= this.limits.maxUnsentBytes) {
      this.waitingForDrain = true;
      this.socket.once('drain', () => {
        this.waitingForDrain = false;
        this.startWaiting();
      });
    }
    if (this.limits.stalledSendTimeoutMs <= 0) return;
    if (this.stallTimer) {
      if (progressed) this.stallTimer.refresh();
    } else {
      this.stallTimer = setTimeout(() => this.close('stalled_send'), this.limits.stalledSendTimeoutMs);
      this.stallTimer.unref();
    }
  }

  private close(reason: ConnectionCloseReason): void {
    if (this.socket.destroyed) return;
    clearTimeout(this.stallTimer);
    this.closed(reason, this.socket, this.outstanding);
    withoutStackTracesWhileClosing(this.socket);
    this.socket.destroy();
  }
}

/**
 * Node aborts each request of a closed connection that is still unanswered with
 * an Error whose stack it captures: closing a connection with 200 pipelined
 * requests spent a fifth of its cost there (profile of the reliability test's
 * hostile clients). Nothing shows these errors (the requests were never
 * handled), so stacks are not captured from the first 'close' listener to the
 * last; a tick later the limit is restored whatever happened in between.
 */
function withoutStackTracesWhileClosing(socket: Socket): void {
  const limit = Error.stackTraceLimit;
  const restore = () => {
    Error.stackTraceLimit = limit;
  };
  socket.prependOnceListener('close', () => {
    Error.stackTraceLimit = 0;
    process.nextTick(restore);
  });
  socket.once('close', restore);
}
