import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { useTestApp } from './support/test-app';

// A model's config.json (a ConfigMap in Kubernetes, shared by every pod) broken on disk must cost at most
// that model, and say so where operators look; it must never take a pod that can serve out of its Service.

const IRIS = '{"instances":[[5.1,3.5,1.4,0.2]]}';
const POLL = { MODEL_POLL_INTERVAL_MS: '50', MODEL_SETTLE_MS: '0' };
const DEEP = (key: string) => `{"${key}": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;

type Server = ReturnType<typeof useTestApp>;

const get = (server: Server, url: string) => server.app.inject({ method: 'GET', url });
const predict = (server: Server, model = 'iris') =>
  server.app.inject({ method: 'POST', url: `/v1/models/${model}/predict`, headers: { 'content-type': 'application/json' }, payload: IRIS });
const configErrorMetric = async (server: Server, model: string) =>
  new RegExp(`^model_config_errors\\{model="${model}"\\} (\\d+)$`, 'm').exec((await get(server, '/metrics')).body)?.[1];

describe('a config.json broken while the server runs', () => {
  const server = useTestApp({ models: ['iris', 'digits'], env: POLL });

  it('keeps the pod ready and serving with the last good config, and shows the error until the file is fixed', async () => {
    const file = path.join(server.modelsDir, 'iris', 'config.json');
    const good = await readFile(file, 'utf8');

    await writeFile(file, good.replace('"default_version": 1', '"default_version": 1,,'));
    await vi.waitFor(async () => expect((await get(server, '/v1/models')).json().models[1].config_error).toBeDefined(), { timeout: 5000 });
    // Several polls later, still ready: the refused file is no reason to leave the Service.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await get(server, '/health/ready')).statusCode).toBe(200);
    expect((await get(server, '/v2/health/ready')).statusCode).toBe(200);
    const served = await predict(server);
    expect(served.statusCode).toBe(200);
    expect(served.headers['x-model-version']).toBe('1');

    const configError = {
      file: 'iris/config.json',
      reason: expect.stringMatching(/^iris\/config\.json is not valid JSON \(at character \d+\)$/),
      since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      in_force: 'last_good',
    };
    const iris = (await get(server, '/v1/models')).json().models.find((m: { name: string }) => m.name === 'iris');
    expect(iris).toMatchObject({ default_version: 1, labels: { stable: 1, canary: 2 }, config_error: configError });
    expect((await get(server, '/v1/models/iris')).json()).toMatchObject({ model: 'iris', version: 1, config_error: configError });
    expect((await get(server, '/health/ready')).json().details.model_registry.models.iris).toMatchObject({ state: 'READY', config_error: configError });
    // Bounded to the models in the repository: one series each, 1 for the refused config only.
    expect(await configErrorMetric(server, 'iris')).toBe('1');
    expect(await configErrorMetric(server, 'digits')).toBe('0');

    await writeFile(file, good);
    await vi.waitFor(async () => expect(await configErrorMetric(server, 'iris')).toBe('0'), { timeout: 5000 });
    expect((await get(server, '/v1/models/iris')).json()).not.toHaveProperty('config_error');
    expect((await get(server, '/health/ready')).statusCode).toBe(200);
  });
});

const BROKEN_AT_START = async (modelsDir: string) => {
  await writeFile(path.join(modelsDir, 'digits', 'config.json'), '{"default_version": 1, "labels": {"stable": 1}');
};

describe('a config.json broken before the server starts', () => {
  const server = useTestApp({ models: ['iris', 'digits'], env: POLL, prepare: BROKEN_AT_START });

  it('fails that model with the reason, and the pod is ready for the others', async () => {
    expect((await get(server, '/health/ready')).statusCode).toBe(200);
    expect((await predict(server)).statusCode).toBe(200);
    const digits = (await get(server, '/v1/models')).json().models.find((m: { name: string }) => m.name === 'digits');
    const reason = 'digits/config.json is not valid JSON (at character 46)';
    expect(digits).toMatchObject({ config_error: { file: 'digits/config.json', reason, in_force: 'none' } });
    expect(digits.versions).toEqual([{ version: 1, state: 'FAILED', reason: `not loaded until its model config is usable: ${reason}` }]);
    const metadata = await get(server, '/v1/models/digits');
    expect(metadata.statusCode).toBe(404);
    expect(metadata.json().message).toBe(`model "digits" is not served until its config is fixed: ${reason}`);
    expect(await configErrorMetric(server, 'digits')).toBe('1');
  });

  it('serves the model on the next poll once the file is fixed, without a restart', async () => {
    await writeFile(path.join(server.modelsDir, 'digits', 'config.json'), '{"default_version": 1, "labels": {"stable": 1}}');
    await vi.waitFor(async () => expect((await get(server, '/v1/models/digits')).statusCode).toBe(200), { timeout: 10_000 });
    expect(await configErrorMetric(server, 'digits')).toBe('0');
  });
});

describe('a config.json broken before the server starts, its model named by REQUIRED_MODELS', () => {
  const server = useTestApp({ models: ['iris', 'digits'], env: { ...POLL, REQUIRED_MODELS: 'iris,digits' }, prepare: BROKEN_AT_START });

  it('answers 503 naming that model and the reason, and not the healthy ones', async () => {
    const ready = await get(server, '/health/ready');
    expect(ready.statusCode).toBe(503);
    const reason = 'digits/config.json is not valid JSON (at character 46) (not served until it is fixed)';
    expect(ready.json().error.model_registry).toEqual({
      status: 'down',
      message: `required model cannot serve: "digits": ${reason}`,
      models: { digits: expect.objectContaining({ required: true, state: 'NO_READY_VERSION', reason }) },
    });
    expect((await get(server, '/v2/health/ready')).statusCode).toBe(400);
    expect((await predict(server)).statusCode).toBe(200);
  });
});

describe('model repository files nested 100,000 levels deep', () => {
  const server = useTestApp({
    models: ['iris', 'digits'],
    prepare: async (modelsDir) => {
      await writeFile(path.join(modelsDir, 'digits', 'config.json'), DEEP('labels'));
      await mkdir(path.join(modelsDir, 'iris', '3'));
      await writeFile(path.join(modelsDir, 'iris', '3', 'model.onnx'), await readFile(path.join(modelsDir, 'iris', '1', 'model.onnx')));
      await writeFile(path.join(modelsDir, 'iris', '3', 'manifest.json'), DEEP('evaluation'));
    },
  });

  it('are refused by a depth bound, the reason naming the file, and the rest serves', async () => {
    const models = (await get(server, '/v1/models')).json().models;
    const [digits, iris] = models;
    expect(digits.config_error.reason).toBe('digits/config.json nests arrays and objects deeper than 64 levels');
    expect(iris.versions[2]).toEqual({ version: 3, state: 'FAILED', reason: 'iris/3/manifest.json nests arrays and objects deeper than 64 levels' });
    expect(JSON.stringify(models)).not.toContain('call stack');
    expect((await get(server, '/health/ready')).statusCode).toBe(200);
    expect((await predict(server)).statusCode).toBe(200);
  });
});
