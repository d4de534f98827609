import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ShutdownState } from './shutdown-state';

export interface ShutdownTiming {
  /** Keep accepting for this long after the signal, so load balancers see readiness fail first. */
  delayMs: number;
  /** Exit (with code 1) if draining takes longer than this. */
  graceMs: number;
}

/**
 * While draining, every response asks the client to close its connection, so
 * keep-alive clients stop reusing sockets before the server closes them: a
 * request sent on a socket the server is closing would be lost in between.
 */
export function closeConnectionsWhileDraining(fastify: FastifyInstance, state: ShutdownState): void {
  fastify.addHook('onSend', async (_request, reply) => {
    if (state.draining) reply.header('connection', 'close');
  });
}

/**
 * SIGTERM (or SIGINT): readiness turns 503 at once; after `delayMs` the servers
 * (HTTP, and gRPC when on) stop accepting connections, finish every request they have, the sessions
 * are released, and the process exits 0. A second signal or the end of the
 * grace period forces the exit with code 1. Returns the same trigger, for a
 * primary process that relays the signal over IPC.
 */
export function installGracefulShutdown(
  app: INestApplication,
  timing: ShutdownTiming,
  logger: Logger,
  {
    signals = ['SIGTERM', 'SIGINT'],
    exit = (code) => process.exit(code),
  }: { signals?: readonly NodeJS.Signals[]; exit?: (code: number) => void } = {},
): (signal: NodeJS.Signals) => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal while draining: exiting now');
      exit(1);
      return;
    }
    stopping = true;
    app.get(ShutdownState).startDraining();
    logger.info({ signal, delay_ms: timing.delayMs, grace_ms: timing.graceMs }, 'shutting down: readiness is now 503');
    setTimeout(() => {
      logger.error({ grace_ms: timing.graceMs }, 'grace period over before draining finished: exiting now');
      exit(1);
    }, timing.graceMs).unref();
    setTimeout(() => {
      logger.info('no longer accepting connections; finishing requests in flight');
      Promise.all([drainConnections(app.getHttpServer() as Server), app.get(ShutdownState).drainOthers()])
        .then(() => app.close())
        .then(
          () => {
            logger.info('all requests finished and sessions released: exiting');
            exit(0);
          },
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            exit(1);
          },
        );
    }, timing.delayMs);
  };
  for (const signal of signals) process.on(signal, onSignal);
  return onSignal;
}

const netClose = NetServer.prototype.close;

/** While draining, keep-alive connections idle at each tick of this period are closed. */
const IDLE_LINGER_MS = 1_000;

/**
 * Stops accepting connections and resolves once every open one has ended.
 * Node's http `server.close()` also closes every idle keep-alive connection
 * at once, and a client that had just received an answer and was sending its
 * next request on that connection lost it to a reset (the shutdown test, with
 * no SHUTDOWN_DELAY_MS, saw a reset on most of its 32 connections). So the
 * listener is closed alone (net.Server's close); a connection that sends one
 * more request gets it answered with `Connection: close` (see
 * closeConnectionsWhileDraining) and is closed after it; a connection still
 * idle IDLE_LINGER_MS later (and at every tick after) is closed then: by
 * that time a client that was sending has had its answer and its close.
 */
function drainConnections(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    const closeIdle = setInterval(() => server.closeIdleConnections(), IDLE_LINGER_MS);
    netClose.call(server, () => {
      clearInterval(closeIdle);
      resolve();
    });
  });
}
