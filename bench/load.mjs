// One benchmark cell: autocannon's programmatic API against one URL at one
// connection count for a fixed time, every answer checked.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');

/**
 * @param {object} cell
 * @param {string} cell.url          full URL
 * @param {object} cell.scenario     from scenarios.mjs (headers, body, check, rows)
 * @param {number} cell.connections
 * @param {number} cell.seconds
 * @param {() => Record<string,string>} [cell.perRequestHeaders] extra headers chosen per request (e.g. a random X-Model-Version)
 */
export async function runCell({ url, scenario, connections, seconds, perRequestHeaders }) {
  const options = {
    url,
    method: 'POST',
    headers: scenario.headers,
    body: scenario.body,
    connections,
    // One request in flight per connection: like real clients, so concurrency = connections.
    pipelining: 1,
    duration: seconds,
    // Beyond this a request counts as a timeout (an error); generous, so slow answers show as p99, not errors.
    timeout: 20,
    // Every answer is parsed and checked: a wrong or empty answer counts as a mismatch (an error below).
    verifyBody: (body) => {
      try {
        return scenario.check(body);
      } catch {
        return false;
      }
    },
  };
  if (perRequestHeaders) {
    options.requests = [
      {
        setupRequest: (request) => {
          request.headers = { ...request.headers, ...perRequestHeaders() };
          return request;
        },
      },
    ];
  }
  // autocannon's own histogram keeps whole milliseconds, too coarse for answers that take 0.2 ms; the
  // 'response' event carries the exact time (from process.hrtime), kept here for exact percentiles.
  const latencies = [];
  const instance = autocannon(options);
  instance.on('response', (client, statusCode, bytes, responseTime) => {
    latencies.push(responseTime);
  });
  const result = await instance;
  const sorted = Float64Array.from(latencies).sort();
  const percentile = (p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : Number.NaN);
  const completed = result.requests.total;
  // autocannon checks bodies of every status, so a non-2xx answer is also a mismatch: count it once.
  const wrongAnswers = Math.max(0, result.mismatches - result.non2xx);
  const ok = result['2xx'] - wrongAnswers;
  return {
    connections,
    seconds: result.duration,
    requests: completed,
    reqPerSec: completed / result.duration,
    rowsPerSec: (Math.max(0, ok) * scenario.rows) / result.duration,
    // Latency of every answer, errors included (a fast error must not look like a fast answer), in ms.
    p50: percentile(50),
    p90: percentile(90),
    p99: percentile(99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    autocannonLatency: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    errors: result.errors, // connection errors, timeouts included
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    wrongAnswers,
    totalErrors: result.errors + result.non2xx + wrongAnswers,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count])),
  };
}
