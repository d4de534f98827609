import { DomainError } from '../common/errors/domain-error';

/**
 * How long a caller still wants its answer, for every protocol: queued
 * inference past the deadline is dropped instead of run. The deadline is the
 * earlier of QUEUE_TIMEOUT_MS from now (0: none) and the caller's own
 * (`X-Request-Timeout-Ms` on REST, the call's deadline on gRPC), as epoch ms;
 * undefined when neither sets one.
 */
export function deadlineOf(queueTimeoutMs: number, callerDeadline?: number): number | undefined {
  const queueDeadline = queueTimeoutMs > 0 ? Date.now() + queueTimeoutMs : Number.POSITIVE_INFINITY;
  const deadline = Math.min(queueDeadline, callerDeadline ?? Number.POSITIVE_INFINITY);
  return Number.isFinite(deadline) ? deadline : undefined;
}

/** The deadline an `X-Request-Timeout-Ms` header sets (epoch ms), undefined without one; a malformed value is the client's error. */
export function deadlineOfTimeoutHeader(raw: string | string[] | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^[1-9][0-9]{0,8}$/.test(raw)) {
    throw new DomainError('BAD_REQUEST', 'X-Request-Timeout-Ms must be a positive integer number of milliseconds');
  }
  return Date.now() + Number(raw);
}
