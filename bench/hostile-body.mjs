// The hostile body: a JSON body just under 1 MiB of ~350,000 empty input
// objects, `{"inputs":[{},{},...]}`, to /v2/models/iris/infer. It is
// small enough to pass the body limit and is garbage to the endpoint, so the
// right answer is a fast 4xx. What matters is how much of the service's one
// event loop it takes before that answer: while the main thread is busy on it,
// every other request waits, /health/live included (a liveness probe that
// waits too long gets the pod restarted).
//
// Two sends, on the idle batching-on service after the server cells:
// 1. alone: wall time seen by the client, and the CPU time of the service's
//    main thread (from /proc/<pid>/task/<pid>/stat) for it;
// 2. again, with GET /health/live polled every 5 ms meanwhile: the slowest
//    poll is about the longest the event loop was held.
import { mainThreadCpuMs } from './cpu.mjs';
import { pollLiveness } from './liveness.mjs';
import { sleep } from './processes.mjs';

const HOSTILE_PATH = '/v2/models/iris/infer';
const MIB = 1_048_576;
/** Every send is bounded: a service that takes longer has missed the target by far anyway. */
const TIMEOUT_MS = 60_000;
const POLL_EVERY_MS = 5;
/** CPU the main thread spends after the answer (freeing what the request allocated) belongs to it too. */
const SETTLE_MS = 200;

/** `{"inputs":[{},{},...]}` as long as possible while shorter than `limit` bytes. */
function hostileBody(limit = MIB) {
  const open = '{"inputs":[';
  const close = ']}';
  // n objects take 2n bytes plus n - 1 commas.
  const objects = Math.floor((limit - 1 - open.length - close.length + 1) / 3);
  const body = Buffer.from(`${open}${Array(objects).fill('{}').join(',')}${close}`);
  return { body, objects };
}

/** One POST of the body; the status, the wall time, and the start of the answer (why it was refused). */
async function send(url, body) {
  const started = performance.now();
  try {
    const response = await fetch(url + HOSTILE_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await response.text();
    return { status: response.status, wallMs: performance.now() - started, answer: text.slice(0, 160), startedAt: started };
  } catch (error) {
    return { status: undefined, timedOut: true, wallMs: performance.now() - started, answer: `no answer: ${error.name}`, startedAt: started };
  }
}

/** After a send that timed out the service may still be busy on it: wait until it answers again. */
async function waitUntilLive(url) {
  const deadline = performance.now() + TIMEOUT_MS;
  while (performance.now() < deadline) {
    try {
      if ((await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(5000) })).ok) return true;
    } catch {
      // still busy
    }
    await sleep(100);
  }
  return false;
}

async function sendAlone(service, body) {
  const cpuBefore = mainThreadCpuMs(service.pid);
  const result = await send(service.url, body);
  await sleep(SETTLE_MS);
  return { ...result, mainThreadCpuMs: mainThreadCpuMs(service.pid) - cpuBefore };
}

async function sendPolled(service, body) {
  // Each poll on a connection of its own (liveness.mjs): the polls go to both HTTP processes in turn, not
  // only to the one holding a kept-alive connection, which need not be the one parsing the body.
  const polling = pollLiveness(service.url, { everyMs: POLL_EVERY_MS, timeoutMs: TIMEOUT_MS });
  // A few polls before the send show what a poll takes on the idle service.
  await sleep(50);
  const result = await send(service.url, body);
  const polls = await polling.stop();
  const during = polls.filter((p) => p.startedAt + p.ms >= result.startedAt && p.startedAt <= result.startedAt + result.wallMs);
  const before = polls.filter((p) => p.startedAt + p.ms < result.startedAt);
  return {
    status: result.status,
    timedOut: result.timedOut,
    wallMs: result.wallMs,
    polls: during.length,
    maxPollMs: Math.max(0, ...during.map((p) => p.ms)),
    pollsOver50Ms: during.filter((p) => p.ms >= 50).length,
    failedPolls: during.filter((p) => p.status !== 200).length,
    idleMaxPollMs: Math.max(0, ...before.map((p) => p.ms)),
  };
}

/**
 * @param {object} service  from service.mjs: url, pid
 * @param {number} bodyLimit the service's BODY_LIMIT_BYTES, reported beside the body size
 */
export async function measureHostileBody(service, bodyLimit, log) {
  const { body, objects } = hostileBody();
  log(`hostile body: ${body.length} bytes, ${objects} {} inputs, POST ${HOSTILE_PATH} (service BODY_LIMIT_BYTES ${bodyLimit ?? 'unknown'})`);
  const alone = await sendAlone(service, body);
  log(`  alone: status ${alone.status ?? 'none'} in ${alone.wallMs.toFixed(1)} ms, service main thread ${alone.mainThreadCpuMs.toFixed(0)} ms CPU`);
  if (alone.timedOut && !(await waitUntilLive(service.url))) {
    return { bytes: body.length, objects, bodyLimit, alone, polled: undefined, note: 'the service did not answer /health/live again after the first send: the polled send was skipped' };
  }
  const polled = await sendPolled(service, body);
  log(`  with /health/live every ${POLL_EVERY_MS} ms: status ${polled.status ?? 'none'} in ${polled.wallMs.toFixed(1)} ms, ${polled.polls} polls meanwhile, slowest ${polled.maxPollMs.toFixed(1)} ms`);
  if (polled.timedOut) await waitUntilLive(service.url);
  return { bytes: body.length, objects, bodyLimit, pollEveryMs: POLL_EVERY_MS, alone, polled };
}
