// One benchmark cell: Debian's wrk, one thread, against one URL at one
// connection count for a fixed time. wrk (C, epoll) replaced autocannon,
// which saturated near 11k req/s on this machine, below the bare-Fastify
// ceiling (33-38k req/s): a ceiling only counts when the load generator is
// not what limits it. Each cell also reports wrk's own CPU, so a cell where
// wrk might be the limit says so.
//
// The request (method, headers, body: binary bodies too) is set by a Lua
// script generated per scenario; the body is read from a file in "rb" mode,
// byte for byte what the probes send.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TICKS_PER_SECOND } from './cpu.mjs';
import { startProcess, stopChild } from './processes.mjs';
import { LUA_HELPERS } from './scenarios.mjs';

/** Beyond this an answer counts as a timeout (an error); generous, so slow answers show as p99, not errors. */
const TIMEOUT_SECONDS = 20;
const RESULT_MARK = 'BENCH_RESULT ';

/** wrk's version, or undefined when it is not installed. */
function wrkVersion() {
  const run = spawnSync('wrk', ['-v'], { encoding: 'utf8', timeout: 10_000 });
  if (run.error) return undefined;
  return /^wrk (\S+)/m.exec(`${run.stdout}${run.stderr}`)?.[1] ?? 'unknown';
}

function aptGet(args, log) {
  log(`  apt-get ${args.join(' ')}`);
  // apt's progress goes to stderr: stdout carries the report.
  const run = spawnSync('apt-get', args, { stdio: ['ignore', 2, 2], timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return !run.error && run.status === 0;
}

/**
 * Makes sure Debian's wrk is there, installing it if not: `apt-get install`
 * first, `apt-get update` only if that fails (a fresh image has no package
 * lists). Returns wrk's version; throws with what to do when it cannot.
 */
export function ensureWrk(log) {
  const version = wrkVersion();
  if (version) return version;
  log('wrk (the load generator) is not installed: installing it with apt-get');
  if (!aptGet(['install', '-y', 'wrk'], log)) {
    log('  install failed: updating the package lists and trying again');
    aptGet(['update'], log);
    aptGet(['install', '-y', 'wrk'], log);
  }
  const installed = wrkVersion();
  if (!installed) throw new Error('wrk (the load generator) is not on PATH and apt-get did not make it so: install Debian\'s wrk (as root: apt-get update && apt-get install -y wrk), then run the bench again');
  log(`wrk ${installed} installed`);
  return installed;
}

let scriptDir;
const scripts = new Map();

/** A temp dir for bodies and scripts, removed when this process exits however it exits. */
function workDir() {
  if (!scriptDir) {
    scriptDir = mkdtempSync(path.join(os.tmpdir(), 'onnx-bench-wrk-'));
    process.on('exit', () => rmSync(scriptDir, { recursive: true, force: true }));
  }
  return scriptDir;
}

/** A Lua string literal; header names and values, versions and temp paths are plain ASCII. */
function lua(text) {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new Error(`not printable ASCII, cannot go into the wrk script: ${JSON.stringify(text)}`);
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The wrk script of one scenario and variant (the service's request, or the
 * peer's: scenarios.mjs, requestFor). Parts:
 * - the request: wrk builds it once and sends it again and again, unless
 *   `versions` asks for a random X-Model-Version per request (request() then
 *   formats each one, which costs wrk more CPU);
 * - with `checkAnswers`, response(): non-200 answers and wrong answers among
 *   the 200s, counted in the thread and collected in done();
 * - done(): one JSON line with wrk's summary, latency percentiles (µs) and
 *   wrk's own CPU time, read from /proc/self/stat while wrk is still alive.
 */
function wrkScript(scenario, { headers, versions, checkAnswers }) {
  const key = JSON.stringify([scenario.id, scenario.variant, headers, versions, checkAnswers]);
  if (scripts.has(key)) return scripts.get(key);
  const dir = workDir();
  // Per variant: the peer's body is not the service's.
  const name = scenario.variant ? `${scenario.id}-${scenario.variant}` : scenario.id;
  const bodyFile = path.join(dir, `${name}.body`);
  writeFileSync(bodyFile, scenario.body);
  const allHeaders = { ...scenario.headers, ...headers };
  const lines = [
    `local file = assert(io.open(${lua(bodyFile)}, 'rb'))`,
    'wrk.method = \'POST\'',
    'wrk.body = file:read(\'*a\')',
    'file:close()',
    ...Object.entries(allHeaders).map(([name, value]) => `wrk.headers[${lua(name)}] = ${lua(value)}`),
  ];
  if (versions) {
    lines.push(
      `local versions = { ${versions.map((v) => lua(String(v))).join(', ')} }`,
      'function init() math.randomseed(os.time()) end',
      'function request()',
      "  wrk.headers['X-Model-Version'] = versions[math.random(#versions)]",
      '  return wrk.format()',
      'end',
    );
  }
  if (checkAnswers) {
    lines.push(
      'non200, wrong = 0, 0',
      LUA_HELPERS,
      `local function correct(body)\n  ${scenario.luaCheck.trim()}\nend`,
      // Under pcall: an answer the check cannot read is a wrong answer, not a Lua error that stops wrk.
      'function response(status, headers, body)',
      '  if status ~= 200 then non200 = non200 + 1 return end',
      '  local ok, right = pcall(correct, body)',
      '  if not (ok and right) then wrong = wrong + 1 end',
      'end',
    );
  }
  lines.push(
    'local threads = {}',
    'function setup(thread) table.insert(threads, thread) end',
    'local function cpuTicks()',
    "  local stat = assert(io.open('/proc/self/stat')):read('*a')",
    "  local fields = {}",
    "  for field in stat:sub(stat:find(')', 1, true) + 2):gmatch('%S+') do fields[#fields + 1] = field end",
    '  return tonumber(fields[12]) + tonumber(fields[13])',
    'end',
    'function done(summary, latency)',
    '  local non200, wrong = 0, 0',
    '  for _, thread in ipairs(threads) do',
    "    non200 = non200 + (thread:get('non200') or 0)",
    "    wrong = wrong + (thread:get('wrong') or 0)",
    '  end',
    '  local e = summary.errors',
    `  io.write(string.format('${RESULT_MARK}{"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"non200":%d,"wrong":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d,"cpuTicks":%d}\\n',`,
    '    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, non200, wrong,',
    '    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, cpuTicks()))',
    'end',
  );
  const file = path.join(dir, `${name}-${scripts.size}.lua`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  scripts.set(key, file);
  return file;
}

/**
 * @param {object} cell
 * @param {string} cell.url          full URL
 * @param {object} cell.scenario     from scenarios.mjs (headers, body, luaCheck, rows)
 * @param {number} cell.connections
 * @param {number} cell.seconds      whole seconds (wrk takes no fractions)
 * @param {Record<string,string>} [cell.headers] extra headers, the same on every request
 * @param {Array<string|number>} [cell.versions] an X-Model-Version picked at random from these for each request
 * @param {boolean} [cell.checkAnswers] check every answer in wrk (status and body); costs wrk CPU
 */
export async function runCell({ url, scenario, connections, seconds, headers = {}, versions, checkAnswers = true }) {
  const script = wrkScript(scenario, { headers, versions, checkAnswers });
  const args = ['-t1', `-c${connections}`, `-d${Math.max(1, Math.round(seconds))}s`, `--timeout`, `${TIMEOUT_SECONDS}s`, '--latency', '-s', script, url];
  const wrk = startProcess('wrk', args, { name: `wrk ${scenario.id}${scenario.variant ? ` (${scenario.variant})` : ''} @${connections}` });
  // Bounded: wrk stops itself after the duration; a wrk that does not is stopped by its PID.
  const deadline = setTimeout(() => stopChild(wrk, 2000), (seconds + TIMEOUT_SECONDS + 10) * 1000);
  // 'close': all of wrk's output has been read, the result line included.
  await new Promise((resolve) => wrk.child.once('close', resolve));
  clearTimeout(deadline);
  const line = wrk.output.split('\n').find((l) => l.startsWith(RESULT_MARK));
  if (wrk.exitCode !== 0 || !line) throw new Error(`wrk ${args.join(' ')} failed (exit ${wrk.exitCode}, signal ${wrk.signal}):\n${wrk.output.slice(-2000)}`);
  return cellResult(JSON.parse(line.slice(RESULT_MARK.length)), { connections, scenario, checkAnswers });
}

function cellResult(r, { connections, scenario, checkAnswers }) {
  const duration = r.durationUs / 1e6;
  // With the Lua check, any status but 200 is an error; without it, wrk's own count (status > 399).
  const non2xx = checkAnswers ? r.non200 : r.status;
  const socketErrors = r.connect + r.read + r.write;
  return {
    connections,
    seconds: duration,
    requests: r.requests,
    reqPerSec: r.requests / duration,
    rowsPerSec: (Math.max(0, r.requests - non2xx - r.wrong) * scenario.rows) / duration,
    // wrk's latency histogram keeps every answer (errors included) to the microsecond; kept here in ms.
    p50: r.p50 / 1000,
    p90: r.p90 / 1000,
    p99: r.p99 / 1000,
    max: r.max / 1000,
    errors: socketErrors + r.timeout,
    socketErrors: { connect: r.connect, read: r.read, write: r.write },
    timeouts: r.timeout,
    non2xx,
    wrongAnswers: r.wrong,
    answersChecked: checkAnswers,
    totalErrors: socketErrors + r.timeout + non2xx + r.wrong,
    generatorCpuSeconds: r.cpuTicks / TICKS_PER_SECOND,
  };
}
