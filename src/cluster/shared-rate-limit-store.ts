import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { IpcPeer } from './ipc-peer';
import type { RateLimitState } from './primary';
import { TO_PRIMARY } from './server-process';

/** A count that takes longer than this is skipped (the request passes): the primary is stopping or wedged. */
const COUNT_TIMEOUT_MS = 2_000;

/**
 * A @fastify/rate-limit store for HTTP_PROCESSES > 1: each request is counted
 * by the primary (in @fastify/rate-limit's own LocalStore), so RATE_LIMIT_MAX
 * holds per client for the pod, whichever process each connection landed on.
 * In-memory per process would let a client with N connections make up to N
 * times the limit.
 */
export function sharedRateLimitStore(primary: IpcPeer): FastifyRateLimitStoreCtor {
  return class SharedRateLimitStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: RateLimitState) => void, timeWindow: number, max: number): void {
      primary.request<RateLimitState>(TO_PRIMARY.rateLimit, { key, timeWindow, max }, COUNT_TIMEOUT_MS).then(
        (state) => callback(null, state),
        (error: Error) => callback(error),
      );
    }

    child(): FastifyRateLimitStore {
      return this;
    }
  };
}
