// GET /health/live polled one at a time, from the bench's own process: how
// long a liveness probe waits while the server works. A server that runs its
// model on the event loop (the hand-written peer) answers nothing else
// meanwhile, and a kubelet whose probe waits past its timeout restarts the pod.
//
// Used during every measured cell of the servers phase (every 50 ms) and by
// the hostile body (every 5 ms). About 20 polls a second cost the bench a few
// ms of CPU, which cpu.mjs counts as the bench's own, neither server, nor
// generator, nor "others"; they go on connections of their own, so wrk (or the
// gRPC generator) times only its own requests.
import http from 'node:http';
import { sleep } from './processes.mjs';

/** Polls during a cell: 20 a second, a few ms of the server's time, against its thousands of requests. */
export const CELL_POLL_EVERY_MS = 50;
/**
 * A poll not answered within this counts as failed: the kubelet's default timeoutSeconds (1). Its wait
 * (the timeout) still counts among the latencies.
 */
export const CELL_POLL_TIMEOUT_MS = 1000;

/**
 * One GET on a connection of its own (`agent: false`, Connection: close), as
 * a kubelet's httpGet probe opens one per probe: with several HTTP processes
 * behind one port (the service's, the peer's) the polls are spread over them
 * the way the kubelet's are, instead of all going to the process that
 * happens to hold one kept-alive connection. Resolves the status, or
 * undefined (no answer within `timeoutMs`, or a socket error).
 */
function getLive(url, timeoutMs) {
  return new Promise((resolve) => {
    const request = http.get(`${url}/health/live`, { agent: false, headers: { connection: 'close' } }, (response) => {
      response.resume();
      response.once('end', () => done(response.statusCode));
      response.once('error', () => done(undefined));
    });
    const timer = setTimeout(() => request.destroy(new Error('timeout')), timeoutMs);
    request.once('error', () => done(undefined));
    function done(status) {
      clearTimeout(timer);
      resolve(status);
    }
  });
}

/**
 * Polls `url`/health/live every `everyMs` until stop() is called. One poll at
 * a time: when one is slow the next starts right after it, so a blocked event
 * loop is not flooded with connections. The first poll goes one interval after
 * the start (the load has begun by then). stop() waits for a poll still in
 * flight (on a blocked server, the one that matters) and resolves every poll:
 * [{ startedAt, ms, status }] (status undefined: no answer).
 */
export function pollLiveness(url, { everyMs = CELL_POLL_EVERY_MS, timeoutMs = CELL_POLL_TIMEOUT_MS } = {}) {
  const polls = [];
  let running = true;
  let wake;
  const loop = (async () => {
    let next = performance.now() + everyMs;
    while (running) {
      // Woken early by stop(): no poll after the window.
      await new Promise((resolve) => {
        wake = resolve;
        setTimeout(resolve, Math.max(0, next - performance.now()));
      });
      if (!running) break;
      const started = performance.now();
      const status = await getLive(url, timeoutMs);
      polls.push({ startedAt: started, ms: performance.now() - started, status });
      next = started + everyMs;
    }
  })();
  return {
    stop: async () => {
      running = false;
      wake?.();
      await loop;
      return polls;
    },
  };
}

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted, p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];

/** A cell's polls as the results keep them: { everyMs, timeoutMs, count, p50, p99, max (ms), failures }. */
export function livenessSummary(polls, { everyMs = CELL_POLL_EVERY_MS, timeoutMs = CELL_POLL_TIMEOUT_MS } = {}) {
  const sorted = polls.map((p) => p.ms).sort((a, b) => a - b);
  const round = (x) => (x === undefined ? undefined : Math.round(x * 100) / 100);
  return {
    everyMs,
    timeoutMs,
    count: polls.length,
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1)),
    failures: polls.filter((p) => p.status !== 200).length,
  };
}

/** Polls during one measured window: start, then `await stop()` for the window's summary. */
export function pollCell(url) {
  const polls = pollLiveness(url);
  return { stop: async () => livenessSummary(await polls.stop()) };
}
