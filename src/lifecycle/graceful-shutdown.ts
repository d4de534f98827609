import type { INestApplication } from '@nestjs/common';
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
 * SIGTERM (or SIGINT): readiness turns 503 at once; after `delayMs` the server
 * stops accepting connections, finishes every request it has, the sessions
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
      app.close().then(
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
