import { readFileSync } from 'node:fs';
import { cp, readFile, rename, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, tempModelsDir } from '../support/test-app';
import { send, type RequestSpec } from './support/load';
import { startServer, type ServerProcess } from './support/server-process';
import { HEALTH_SHARE_MS } from '../../src/cluster/server-process';

const TOKEN = 'http-processes-token-0123456789';
const IRIS = (version?: number): RequestSpec => ({
  method: 'POST',
  path: '/v1/models/iris/predict',
  headers: { 'content-type': 'application/json', ...(version ? { 'x-model-version': String(version) } : {}) },
  body: '{"instances":[[5.1,3.5,1.4,0.2]]}',
});

/**
 * A new connection per request: Node's cluster hands each accepted connection
 * to the HTTP processes in turn, so consecutive requests land on different
 * processes and a state kept in only one of them shows as a mix of answers.
 */
const noKeepAlive = new http.Agent({ keepAlive: false });
const once = (url: string, spec: RequestSpec) => send(url, spec, noKeepAlive);
const admin = (method: string, urlPath: string, body?: unknown): RequestSpec => ({
  method,
  path: urlPath,
  headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
  ...(body ? { body: JSON.stringify(body) } : {}),
});

async function servedVersions(url: string, requests: number, version?: number): Promise<(number | string)[]> {
  const versions: (number | string)[] = [];
  for (let i = 0; i < requests; i++) {
    const outcome = await once(url, IRIS(version));
    versions.push(outcome.status === 200 ? (JSON.parse(outcome.body!) as { version: number }).version : `status ${outcome.status}`);
  }
  return versions;
}

/** The value of one series in a scrape; 0 when absent. */
function seriesValue(scrape: string, series: string): number {
  const line = scrape.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

const PREDICT_COUNT = 'http_request_duration_seconds_count{method="POST",route="/v1/models/:name/predict",status_code="200"}';

/**
 * HTTP_PROCESSES=2 (the default): two HTTP processes share the port under a
 * primary. Whatever process a request lands on, the pod must behave as one
 * server: every process serves, one scrape counts everyone's requests, admin
 * changes and hot reloads reach all of them, the rate limit is per client for
 * the pod, and SIGTERM or a crashed process stops them all.
 */
describe('several HTTP processes (HTTP_PROCESSES=2)', () => {
  let server: ServerProcess;
  let modelsDir: string;

  beforeAll(async () => {
    modelsDir = await tempModelsDir('iris');
    server = await startServer({
      HTTP_PROCESSES: '2',
      MODELS_DIR: modelsDir,
      ADMIN_TOKEN: TOKEN,
      LOG_LEVEL: 'info',
      MODEL_POLL_INTERVAL_MS: '200',
      MODEL_SETTLE_MS: '200',
    });
  });
  afterAll(async () => {
    await server?.stop();
    await removeDir(modelsDir);
  });

  it('runs a primary and two HTTP processes, and both serve requests', async () => {
    expect(server.processTree().length).toBeGreaterThanOrEqual(3);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => once(server.url, IRIS())));
    expect(outcomes.map((o) => o.status)).toEqual(Array(20).fill(200));
    // Request lines are written within 200 ms; each names the process that served it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const servedBy = new Set(
      server
        .output()
        .split('\n')
        .filter((line) => line.includes('"url":"/v1/models/iris/predict"'))
        .map((line) => (JSON.parse(line) as { process?: number }).process),
    );
    expect([...servedBy].sort()).toEqual([1, 2]);
  });

  it('answers every scrape with the requests of all processes, and each process memory', async () => {
    const before = seriesValue((await once(server.url, { method: 'GET', path: '/metrics' })).body!, PREDICT_COUNT);
    for (let i = 0; i < 30; i++) expect((await once(server.url, IRIS())).status).toBe(200);
    // Several scrapes, each landing on either process: all see the same total.
    for (let i = 0; i < 4; i++) {
      const scrape = (await once(server.url, { method: 'GET', path: '/metrics' })).body!;
      expect(seriesValue(scrape, PREDICT_COUNT) - before).toBe(30);
      for (const process of ['1', '2', 'primary']) {
        expect(seriesValue(scrape, `server_process_resident_memory_bytes{process="${process}"}`)).toBeGreaterThan(10 * 2 ** 20);
      }
      expect(seriesValue(scrape, 'model_version_ready{model="iris",version="2"}')).toBe(1);
    }
  });

  it('applies admin changes in every process before answering', async () => {
    const set = await once(server.url, admin('PUT', '/v1/admin/models/iris/config', { default_version: 2 }));
    expect(set.status, set.body).toBe(200);
    expect(await servedVersions(server.url, 12)).toEqual(Array(12).fill(2));

    const unload = await once(server.url, admin('POST', '/v1/admin/models/iris/versions/1/unload'));
    expect(unload.status, unload.body).toBe(200);
    expect(await servedVersions(server.url, 8, 1)).toEqual(Array(8).fill('status 404'));
    expect((await once(server.url, admin('POST', '/v1/admin/models/iris/versions/1/load'))).status).toBe(200);
    expect(await servedVersions(server.url, 8, 1)).toEqual(Array(8).fill(1));

    expect((await once(server.url, admin('DELETE', '/v1/admin/models/iris/config'))).status).toBe(200);
    expect(await servedVersions(server.url, 12)).toEqual(Array(12).fill(1));
  });

  it('a conflict is refused by the process that received it, and no process changes', async () => {
    const refused = await once(server.url, admin('POST', '/v1/admin/models/iris/versions/1/unload'));
    expect(refused.status).toBe(409);
    expect(await servedVersions(server.url, 8, 1)).toEqual(Array(8).fill(1));
  });

  it('shadows in every process, and reports the shadow figures of the whole pod as the merged metrics count them', async () => {
    const set = await once(server.url, admin('PUT', '/v1/admin/models/iris/config', { shadow: { version: 2, sample: 1 } }));
    expect(set.status, set.body).toBe(200);
    for (let i = 0; i < 20; i++) expect((await once(server.url, IRIS())).status).toBe(200);
    const report = async () => JSON.parse((await once(server.url, { method: 'GET', path: '/v1/models/iris/shadow' })).body!);
    const deadline = Date.now() + 30_000;
    while ((await report()).requests.compared < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    // Asked of either process, the answer adds both up.
    for (let i = 0; i < 4; i++) expect(await report()).toMatchObject({ processes: 2, requests: { compared: 20, dropped: 0 }, rows: 20, top1: { total: 20 } });
    const scrape = (await once(server.url, { method: 'GET', path: '/metrics' })).body!;
    const compared = 'model_shadow_requests_total{model="iris",serving_version="1",shadow_version="2",outcome="compared"}';
    expect(seriesValue(scrape, compared)).toBe(20);
    expect((await once(server.url, admin('DELETE', '/v1/admin/models/iris/config'))).status).toBe(200);
    expect((await once(server.url, { method: 'GET', path: '/v1/models/iris/shadow' })).status).toBe(404);
  });

  it('loads a version dropped into MODELS_DIR in every process (hot reload), and a rescan does it at once everywhere', async () => {
    await cp(path.join(modelsDir, 'iris', '2'), path.join(modelsDir, 'iris', '3'), { recursive: true });
    const deadline = Date.now() + 30_000;
    let versions = await servedVersions(server.url, 8, 3);
    while (versions.some((v) => v !== 3) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      versions = await servedVersions(server.url, 8, 3);
    }
    expect(versions).toEqual(Array(8).fill(3));

    await cp(path.join(modelsDir, 'iris', '2'), path.join(modelsDir, 'iris', '4'), { recursive: true });
    const rescan = await once(server.url, admin('POST', '/v1/admin/rescan'));
    expect(rescan.status, rescan.body).toBe(200);
    expect(await servedVersions(server.url, 8, 4)).toEqual(Array(8).fill(4));
  });

  it('stays ready in every process while config.json is refused, warns once per process, and takes the fixed file', async () => {
    const file = path.join(modelsDir, 'iris', 'config.json');
    const good = await readFile(file, 'utf8');
    const refusedMetric = async () =>
      seriesValue((await once(server.url, { method: 'GET', path: '/metrics' })).body!, 'model_config_errors{model="iris"}');
    const waitForMetric = async (value: number) => {
      const deadline = Date.now() + 30_000;
      while ((await refusedMetric()) !== value && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await refusedMetric()).toBe(value);
    };
    const refusedInModelList = async () =>
      (JSON.parse((await once(server.url, { method: 'GET', path: '/v1/models' })).body!) as { models: { config_error?: unknown }[] }).models[0]
        .config_error !== undefined;
    // Replaced whole, as a ConfigMap update is (kubelet swaps a symlink): a poll that read a half-written
    // file would see a different broken config, and rightly warn about that one too.
    const replace = async (text: string) => {
      await writeFile(`${file}.tmp`, text);
      await rename(`${file}.tmp`, file);
    };
    await replace('{"default_version": 1, "labels": {"stable": 1}');
    const deadline = Date.now() + 30_000;
    // Two answers in a row (one from each process, connections alternate) that show the refusal.
    while (!((await refusedInModelList()) && (await refusedInModelList())) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Several polls later, every probe (landing on either process) is 200 and every prediction served.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (let i = 0; i < 8; i++) {
      const ready = await once(server.url, { method: 'GET', path: '/health/ready' });
      expect(ready.status, ready.body).toBe(200);
    }
    expect(await servedVersions(server.url, 8)).toEqual(Array(8).fill(1));
    expect(await refusedMetric()).toBe(1);
    const warnings = server.output().split('\n').filter((line) => line.includes('Model iris: config refused'));
    expect(warnings).toHaveLength(2);

    await replace(good);
    await waitForMetric(0);
  });
});

describe('several HTTP processes: limits and stopping', () => {
  it('counts the rate limit once per client for the whole pod', async () => {
    const server = await startServer({ HTTP_PROCESSES: '2', RATE_LIMIT_MAX: '10', RATE_LIMIT_WINDOW_MS: '60000' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) statuses.push((await once(server.url, IRIS())).status ?? 0);
      expect(statuses).toEqual([...Array(10).fill(200), ...Array(6).fill(429)]);
    } finally {
      await server.stop();
    }
  });

  it('answers probes for the whole pod: a stalled HTTP process makes the others report not ready and not live', async () => {
    const server = await startServer({ HTTP_PROCESSES: '2' });
    const [, ...httpProcesses] = server.processTree();
    try {
      process.kill(httpProcesses[0], 'SIGSTOP');
      // The others' health is shared every HEALTH_SHARE_MS and used for three rounds: once that is stale, or
      // once a round has named the stalled process, the other process's probes say so.
      await new Promise((resolve) => setTimeout(resolve, 4 * HEALTH_SHARE_MS));
      // Probes landing on the stalled process hang until it resumes; those on the other one answer within ~2 s.
      const probes = await Promise.all(
        ['/health/ready', '/health/live', '/health/ready', '/health/live', '/v2/health/ready', '/v2/health/ready'].map((probe) =>
          send(server.url, { method: 'GET', path: probe }, noKeepAlive, 4_000),
        ),
      );
      const answered = probes.filter((outcome) => outcome.status !== undefined);
      expect(answered.length).toBeGreaterThan(0);
      for (const outcome of answered) {
        expect(outcome.status === 503 || outcome.status === 400, `${outcome.status} ${outcome.body}`).toBe(true);
        if (outcome.status === 503) expect(outcome.body).toContain('did not answer');
      }
    } finally {
      process.kill(httpProcesses[0], 'SIGCONT');
    }
    try {
      // Resumed, the process works off what piled up while it was stopped, and its sibling's view of it is
      // refreshed on the next share: ready again within a few rounds, and then on every probe.
      const readyAgainBy = Date.now() + 10 * HEALTH_SHARE_MS + 5_000;
      while ((await once(server.url, { method: 'GET', path: '/health/ready' })).status !== 200 && Date.now() < readyAgainBy) {
        await new Promise((resolve) => setTimeout(resolve, HEALTH_SHARE_MS / 5));
      }
      for (let i = 0; i < 6; i++) expect((await once(server.url, { method: 'GET', path: '/health/ready' })).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  it('drains every process on SIGTERM and exits 0, leaving no process behind', async () => {
    const server = await startServer({ HTTP_PROCESSES: '2', LOG_LEVEL: 'info' });
    const tree = server.processTree();
    expect(tree.length).toBeGreaterThanOrEqual(3);
    await server.stop();
    expect((await server.exited).code).toBe(0);
    const drained = server.output().split('\n').filter((line) => line.includes('all requests finished and sessions released'));
    expect(drained).toHaveLength(2);
    expect(tree.filter((pid) => isAlive(pid))).toEqual([]);
  });

  it('stops the whole pod (exit 1) when one HTTP process dies, so Kubernetes restarts it consistent', async () => {
    const server = await startServer({ HTTP_PROCESSES: '2' });
    const [primary, ...httpProcesses] = server.processTree();
    process.kill(httpProcesses[0], 'SIGKILL');
    const exit = await Promise.race([server.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 30_000))]);
    if (exit === 'still running') await server.stop();
    expect(exit).toMatchObject({ code: 1 });
    expect(server.output()).toContain('exited unexpectedly: stopping the others');
    expect([primary, ...httpProcesses].filter((pid) => isAlive(pid))).toEqual([]);
  });
});

/** Running: present in /proc and not a zombie waiting to be reaped. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
