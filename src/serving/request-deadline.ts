import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RunOptions } from '../inference/inference-engine';
import { DomainError } from '../common/domain-error';
import { REQUEST_TIMEOUT_HEADER } from '../common/http-headers';
import { traceIdOfRequest } from '../observability/http-tracing';


/**
 * How long a caller still wants its answer: queued inference past the
 * deadline, or whose client has disconnected, is dropped instead of run.
 * The deadline is the smaller of QUEUE_TIMEOUT_MS and the request's own
 * `X-Request-Timeout-Ms`.
 */
export function runOptionsFor(request: FastifyRequest, reply: FastifyReply, queueTimeoutMs: number): RunOptions {
  const raw = request.headers[REQUEST_TIMEOUT_HEADER];
  let timeoutMs = queueTimeoutMs > 0 ? queueTimeoutMs : undefined;
  if (raw !== undefined) {
    if (typeof raw !== 'string' || !/^[1-9][0-9]{0,8}$/.test(raw)) {
      throw new DomainError('BAD_REQUEST', 'X-Request-Timeout-Ms must be a positive integer number of milliseconds');
    }
    timeoutMs = Math.min(Number(raw), timeoutMs ?? Number.POSITIVE_INFINITY);
  }
  // Checked only when queued work is about to run: no listener per request.
  const options: RunOptions = {
    cancelled: () => reply.raw.destroyed && !reply.raw.writableFinished,
    // The trace id for the prediction records; the span (tracing on) for the runner's and the batcher's spans.
    context: { requestId: request.id, protocol: 'http', traceId: traceIdOfRequest(request), trace: request.requestSpan ?? undefined },
  };
  if (timeoutMs !== undefined) options.deadline = Date.now() + timeoutMs;
  return options;
}

/** The response cache's verdict for this request, when its model has a cache. */
export function cacheHeaderOf(options: RunOptions): string | undefined {
  const cache = options.context?.cache;
  return cache === undefined ? undefined : cache.toUpperCase();
}
