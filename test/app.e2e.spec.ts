import { createHash } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { INFERENCE_ENGINE, type InferenceEngine } from '../src/inference/engine-contracts';
import { ModelRegistry } from '../src/model-registry/model-registry.service';
import { irisPrediction, irisProbabilities } from './support/iris';
import { REPO_MODELS_DIR, removeDir, startTestApp, tempModelsDir, useTestApp } from './support/test-app';

const IRIS_FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;
const SAMPLES = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
  [5.9, 3.0, 4.2, 1.5],
];
const asFeatures = (row: number[]) => Object.fromEntries(IRIS_FEATURES.map((name, i) => [name, row[i]]));

describe('service on the bundled iris models', () => {
  const server = useTestApp({ models: ['iris'], env: { MAX_INSTANCES: '8', BODY_LIMIT_BYTES: '4096' } });

  const predict = (body: unknown, headers: Record<string, string> = {}) =>
    server.app.inject({
      method: 'POST',
      url: '/v1/models/iris/predict',
      headers: { 'content-type': 'application/json', ...headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    });

  describe('version selection', () => {
    it.each([
      ['1', 1],
      ['2', 2],
      ['stable', 1],
      ['canary', 2],
      [undefined, 1],
    ])('X-Model-Version %s is served by version %i, with probabilities equal to onnxruntime on that file', async (header, expected) => {
      const response = await predict(
        { instances: SAMPLES.map(asFeatures) },
        header === undefined ? {} : { 'x-model-version': header },
      );
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-model-version']).toBe(String(expected));
      const body = response.json();
      expect(body.model).toBe('iris');
      expect(body.version).toBe(expected);
      const direct = await irisProbabilities(expected, SAMPLES);
      // class_id and label exact (the best class of the direct run), confidence and probabilities within float32 tolerance.
      expect(body.predictions).toMatchModelOutput(direct.map(irisPrediction));
    });

    it('classifies the textbook flowers correctly', async () => {
      const body = (await predict({ instances: SAMPLES.map(asFeatures) })).json();
      expect(body.predictions.map((p: { label: string }) => p.label)).toEqual(['setosa', 'virginica', 'versicolor']);
    });

    it('accepts a numeric array per instance as well as named features', async () => {
      const named = (await predict({ instances: [asFeatures(SAMPLES[0])] })).json();
      const array = (await predict({ instances: [SAMPLES[0]] })).json();
      expect(array.predictions).toMatchModelOutput(named.predictions);
    });

    it('answers 404 naming the available versions for an unknown version or label', async () => {
      for (const header of ['9', 'beta']) {
        const response = await predict({ instances: [SAMPLES[0]] }, { 'x-model-version': header });
        expect(response.statusCode).toBe(404);
        expect(response.json().message).toContain('available versions: 1, 2');
        expect(response.json().message).toContain('stable=1');
      }
    });

    it('answers 400 for a malformed version selector', async () => {
      const response = await predict({ instances: [SAMPLES[0]] }, { 'x-model-version': '../1' });
      expect(response.statusCode).toBe(400);
      expect(response.json().message).toContain('X-Model-Version');
    });

    it('answers 404 naming the known models for an unknown model', async () => {
      const response = await server.app.inject({
        method: 'POST',
        url: '/v1/models/nope/predict',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ instances: [SAMPLES[0]] }),
      });
      expect(response.statusCode).toBe(404);
      expect(response.json().message).toBe('model "nope" not found; available models: iris');
    });
  });

  describe('bad input never reaches the model', () => {
    const cases: Array<[string, unknown, number, string]> = [
      ['unparseable JSON', '{"instances": [', 400, 'not valid JSON'],
      ['instances missing', {}, 422, 'instances must be an array'],
      ['instances not an array', { instances: 'x' }, 422, 'instances must be an array'],
      ['no instances', { instances: [] }, 422, 'instances must contain at least 1 instance'],
      ['too many instances', { instances: Array(9).fill(SAMPLES[0]) }, 422, 'at most 8 instances, got 9'],
      ['an extra top-level field', { instances: [SAMPLES[0]], extra: 1 }, 422, 'property extra should not exist'],
      ['a missing feature', { instances: [SAMPLES[0], { sepal_length: 1, sepal_width: 1, petal_length: 1 }] }, 422, 'instances[1].petal_width is required'],
      ['an unknown feature', { instances: [{ ...asFeatures(SAMPLES[0]), colour: 3 }] }, 422, 'instances[0].colour is not a feature'],
      ['a string feature', { instances: [{ ...asFeatures(SAMPLES[0]), petal_width: '0.2' }] }, 422, 'instances[0].petal_width must be a finite number'],
      ['an overflowing number (JSON 1e999 is Infinity)', '{"instances":[{"sepal_length":1e999,"sepal_width":1,"petal_length":1,"petal_width":1}]}', 422, 'instances[0].sepal_length must be a finite number'],
      ['a number beyond float32', { instances: [[1e39, 1, 1, 1]] }, 422, 'instances[0][0] must be within'],
      ['a null value', { instances: [[1, null, 1, 1]] }, 422, 'instances[0][1] must be a finite number'],
      ['the wrong feature count', { instances: [[1, 2, 3]] }, 422, 'instances[0] must have 4 elements, got 3'],
      ['the wrong nesting', { instances: [[[1], 2, 3, 4]] }, 422, 'instances[0][0] must be a single value'],
      ['a scalar instance', { instances: [5] }, 422, 'instances[0] must be an array'],
      // Keys named after Object.prototype members are named like any other key, never as "undefined".
      ['a top-level "constructor"', '{"constructor": 1}', 422, 'constructor: property constructor should not exist'],
      ['a top-level "hasOwnProperty"', '{"hasOwnProperty": 1, "instances": [[1, 2, 3, 4]]}', 422, 'hasOwnProperty: property hasOwnProperty should not exist'],
      ['a top-level "toString"', '{"toString": 1}', 422, 'toString: property toString should not exist'],
      ['a "constructor" feature', '{"instances": [{"constructor": 1}]}', 422, 'instances[0].constructor is not a feature'],
      ['a "__proto__" key', '{"__proto__": {"x": 1}}', 400, '__proto__: the key "__proto__" is not allowed'],
      ['a "__proto__" key in an instance', '{"instances": [[1, 2, 3, 4], {"a": {"__proto__": 1}}]}', 400, 'instances[1].a.__proto__: the key "__proto__" is not allowed'],
    ];

    it.each(cases)('%s is refused, naming the field', async (_name, body, status, message) => {
      const response = await predict(body);
      expect(response.statusCode).toBe(status);
      expect(response.json()).toMatchObject({ statusCode: status });
      expect(response.json().message).toContain(message);
      expect(response.json().message).not.toMatch(/\bundefined\b/);
    });

    it('reports every broken field of a request at once', async () => {
      const response = await predict({ instances: [[1, 'a', 3, 4], { sepal_length: 1 }] });
      expect(response.statusCode).toBe(422);
      expect(response.json().details).toEqual(
        expect.arrayContaining(['instances[0][1] must be a finite number', 'instances[1].sepal_width is required']),
      );
    });

    it('answers 413 for a body over the configured limit', async () => {
      const response = await predict({ instances: Array(400).fill(SAMPLES[0]) });
      expect(response.statusCode).toBe(413);
      expect(response.json().message).toContain('BODY_LIMIT_BYTES');
    });

    it('answers 415 for a body that is not JSON', async () => {
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
        const response = await predict('instances=1', { 'content-type': contentType });
        expect(response.statusCode).toBe(415);
        expect(response.json().message).toContain(`unsupported Content-Type "${contentType}"`);
      }
    });
  });

  describe('model listing and metadata', () => {
    it('lists every model with versions, states, labels and default', async () => {
      const response = await server.app.inject({ method: 'GET', url: '/v1/models' });
      expect(response.statusCode).toBe(200);
      // The digest of the model.onnx each loaded version serves.
      const sha256 = async (version: number) =>
        createHash('sha256').update(await readFile(path.join(REPO_MODELS_DIR, 'iris', String(version), 'model.onnx'))).digest('hex');
      expect(response.json()).toEqual({
        models: [
          {
            name: 'iris',
            versions: [
              { version: 1, state: 'READY', sha256: await sha256(1) },
              { version: 2, state: 'READY', sha256: await sha256(2) },
            ],
            labels: { stable: 1, canary: 2 },
            default_version: 1,
          },
        ],
      });
    });

    it('describes the selected version from the session and the manifest', async () => {
      const response = await server.app.inject({ method: 'GET', url: '/v1/models/iris', headers: { 'x-model-version': 'canary' } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-model-version']).toBe('2');
      const manifest = JSON.parse(await readFile(path.join(REPO_MODELS_DIR, 'iris/2/manifest.json'), 'utf8'));
      expect(response.json()).toMatchObject({
        model: 'iris',
        version: 2,
        task: 'classification',
        inputs: [{ name: 'input', datatype: 'float32', shape: [-1, 4] }],
        outputs: [{ name: 'probabilities', datatype: 'float32', shape: [-1, 3] }],
        features: [...IRIS_FEATURES],
        labels: ['setosa', 'versicolor', 'virginica'],
        evaluation: manifest.evaluation,
      });
      expect(response.json().sha256).toMatch(/^[0-9a-f]{64}$/);
    });
  });

  describe('health, request ids, metrics and docs', () => {
    it('is live and ready once the models are warm', async () => {
      expect((await server.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      const ready = await server.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().details.model_registry.models.iris).toMatchObject({ default_version: 1, state: 'READY' });
    });

    it('echoes a given X-Request-Id and generates one otherwise', async () => {
      const given = await server.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'abc-123' } });
      expect(given.headers['x-request-id']).toBe('abc-123');
      const generated = await server.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'bad id\twith spaces' } });
      expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('exports the metrics with bounded labels after traffic', async () => {
      await predict({ instances: [SAMPLES[0]] }, { 'x-model-version': '2' });
      await predict({ instances: [[1, 2]] }, { 'x-model-version': '2' });
      await server.app.inject({ method: 'POST', url: '/v1/models/made-up-model/predict', headers: { 'content-type': 'application/json' }, payload: '{"instances":[[1]]}' });
      await server.app.inject({ method: 'GET', url: '/no/such/route/12345' });
      const response = await server.app.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/plain');
      const text = response.body;
      expect(text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/v1\/models\/:name\/predict",status_code="200"\} \d+/);
      expect(text).toMatch(/model_inference_duration_seconds_count\{model="iris",version="2"\} [1-9]/);
      expect(text).toMatch(/model_predictions_total\{model="iris",version="2",outcome="success",protocol="http"\} [1-9]/);
      expect(text).toMatch(/model_predictions_total\{model="iris",version="2",outcome="invalid_input",protocol="http"\} [1-9]/);
      expect(text).toContain('model_version_ready{model="iris",version="1"} 1');
      expect(text).toContain('process_resident_memory_bytes');
      expect(text).not.toContain('made-up-model');
      expect(text).not.toContain('12345');
      expect(text).toContain('route="unmatched"');
    });

    it('serves Swagger UI and an OpenAPI document that documents the version header', async () => {
      const ui = await server.app.inject({ method: 'GET', url: '/docs' });
      expect(ui.statusCode).toBe(200);
      expect(ui.body).toContain('swagger-ui');
      const doc = (await server.app.inject({ method: 'GET', url: '/docs-json' })).json();
      const operation = doc.paths['/v1/models/{name}/predict'].post;
      expect(operation.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['name', 'X-Model-Version']));
      expect(JSON.stringify(doc.components.schemas.PredictRequestDto)).toContain('sepal_length');
    });

    it('answers /docs-json and /docs-yaml the same way every time (kept from the first answer), with their media types', async () => {
      for (const [url, type] of [
        ['/docs-json', 'application/json'],
        ['/docs-yaml', 'text/yaml'],
      ]) {
        const first = await server.app.inject({ method: 'GET', url });
        const again = await server.app.inject({ method: 'GET', url: `${url}?again=1` });
        expect(first.statusCode).toBe(200);
        expect(first.headers['content-type']).toContain(type);
        expect(again.statusCode).toBe(200);
        expect(again.headers['content-type']).toBe(first.headers['content-type']);
        expect(again.body).toBe(first.body);
        expect(first.body).toContain('X-Model-Version');
      }
    });

    it('documents the prediction answers as they are: each real answer has exactly the fields of one documented shape', async () => {
      const doc = (await server.app.inject({ method: 'GET', url: '/docs-json' })).json();
      const schemas = doc.components.schemas as Record<string, { properties: Record<string, unknown>; required?: string[] }>;
      const shapes = (schemas.PredictResponseDto.properties.predictions as { items: { oneOf: { $ref: string }[] } }).items.oneOf.map(
        ({ $ref }) => schemas[$ref.split('/').at(-1)!],
      );
      expect(shapes).toHaveLength(3);
      const fieldsOf = (schema: (typeof shapes)[number]) => Object.keys(schema.properties).sort();
      const answer = await server.app.inject({
        method: 'POST',
        url: '/v1/models/iris/predict',
        headers: { 'content-type': 'application/json' },
        payload: { instances: [[5.1, 3.5, 1.4, 0.2]] },
      });
      const prediction = answer.json().predictions[0] as Record<string, unknown>;
      expect(shapes.map(fieldsOf)).toContainEqual(Object.keys(prediction).sort());
      expect(shapes.map(fieldsOf)).toContainEqual(['top_k']);
      expect(shapes.map(fieldsOf)).toContainEqual(['outputs']);
    });

    it('serves under /docs/ only the files the Swagger UI page loads, not the rest of swagger-ui-dist', async () => {
      const page = (await server.app.inject({ method: 'GET', url: '/docs' })).body;
      // Resolved as a browser resolves them against the page's URL.
      const assets = [...page.matchAll(/(?:src|href)="(\.\/[^"]+)"/g)].map((match) => new URL(match[1], 'http://host/docs').pathname);
      expect(assets.length).toBeGreaterThanOrEqual(4);
      for (const asset of assets) {
        expect((await server.app.inject({ method: 'GET', url: asset })).statusCode, asset).toBe(200);
      }
      for (const hidden of ['package.json', 'README.md', 'swagger-ui.js.map', 'swagger-ui-bundle.js.map', 'index.html', 'absolute-path.js']) {
        const response = await server.app.inject({ method: 'GET', url: `/docs/${hidden}` });
        expect(response.statusCode, hidden).toBe(404);
        expect(response.body).not.toContain('swagger-ui-dist');
      }
    });
  });

  describe('requests the router refuses before any hook runs', () => {
    it('answers a malformed URL (400) and an over-long path segment (414) in the error shape, and counts them', async () => {
      const bad = await server.app.inject({ method: 'GET', url: '/v1/models/%E0%A4%A' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ statusCode: 400, message: 'the URL is malformed (invalid percent-encoding)' });
      expect(bad.headers['x-request-id']).toBeDefined();
      const long = await server.app.inject({ method: 'GET', url: `/v1/models/${'a'.repeat(300)}` });
      expect(long.statusCode).toBe(414);
      expect(long.json().message).toContain('longer than this service accepts');
      const v2 = await server.app.inject({ method: 'GET', url: `/v2/models/${'a'.repeat(300)}/ready` });
      expect(v2.statusCode).toBe(414);
      expect(v2.json()).toEqual({ error: expect.stringContaining('longer than this service accepts') });
      const metrics = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="400"\} [1-9]/);
      expect(metrics).toMatch(/http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="414"\} [2-9]/);
    });
  });

  describe('error codes', () => {
    it('every /v1 error body carries the stable code of what was wrong', async () => {
      const post = (url: string, payload: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
        server.app.inject({ method: 'POST', url, headers, payload });
      const cases: Array<[Promise<{ json(): { code?: string }; statusCode: number }>, number, string]> = [
        [post('/v1/models/nope/predict', '{"instances":[[1,2,3,4]]}'), 404, 'MODEL_NOT_FOUND'],
        [post('/v1/models/iris/predict', '{"instances":[[1,2,3,4]]}', { 'content-type': 'application/json', 'x-model-version': '9' }), 404, 'VERSION_NOT_AVAILABLE'],
        [post('/v1/models/iris/predict', '{"instances":[[1,2]]}'), 422, 'INVALID_INPUT'],
        [post('/v1/models/iris/predict', '{"instances": ['), 400, 'BAD_REQUEST'],
        [post('/v1/models/iris/predict', 'x', { 'content-type': 'text/csv' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
        [server.app.inject({ method: 'GET', url: '/v1/nothing-here' }), 404, 'NOT_FOUND'],
        [server.app.inject({ method: 'GET', url: `/v1/models/${'a'.repeat(300)}` }), 414, 'URI_TOO_LONG'],
      ];
      for (const [answer, status, code] of cases) {
        const response = await answer;
        expect([response.statusCode, response.json().code]).toEqual([status, code]);
      }
    });
  });

  describe('what error answers and logs quote', () => {
    it('cuts an unknown URL in a 404 to what identifies it', async () => {
      const response = await server.app.inject({ method: 'GET', url: `/${'a'.repeat(15_000)}` });
      expect(response.statusCode).toBe(404);
      expect(response.json().message.length).toBeLessThan(300);
    });

    it('names at most ten unknown outputs, however many a request asks for', async () => {
      const outputs = Array.from({ length: 200 }, (_, i) => ({ name: `o${i}` }));
      const response = await server.app.inject({
        method: 'POST',
        url: '/v2/models/iris/infer',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }], outputs }),
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatch(/^unknown outputs "o0", "o1", .*"o9" \(and 190 more\); model "iris" version 1 has outputs: /);
      expect(response.body.length).toBeLessThan(500);
    });
  });
});

describe('readiness while models warm up', () => {
  it('is 503 before the default versions are warm and 200 after, while liveness is 200 throughout', async () => {
    const modelsDir = await tempModelsDir('iris');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const app = await startTestApp(
      { MODELS_DIR: modelsDir },
      {
        waitForModels: false,
        beforeInit: (app) => {
          const engine = app.get<InferenceEngine>(INFERENCE_ENGINE);
          const load = engine.load.bind(engine);
          vi.spyOn(engine, 'load').mockImplementation(async (bytes, label) => {
            await gate;
            return load(bytes, label);
          });
        },
      },
    );
    try {
      await vi.waitFor(() => expect(app.get(ModelRegistry).list()).toHaveLength(1));
      const before = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(before.statusCode).toBe(503);
      expect(before.json().details.model_registry.models.iris).toMatchObject({ state: 'LOADING' });
      expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      const early = await app.inject({ method: 'POST', url: '/v1/models/iris/predict', headers: { 'content-type': 'application/json' }, payload: '{"instances":[[5.1,3.5,1.4,0.2]]}' });
      // It exists and is on its way: 503 with Retry-After (404 is for what does not exist).
      expect(early.statusCode).toBe(503);
      expect(early.headers['retry-after']).toBe('1');
      expect(early.json().message).toBe('model "iris": default version is still LOADING; retry shortly');
      const v2 = await app.inject({ method: 'POST', url: '/v2/models/iris/infer', headers: { 'content-type': 'application/json' }, payload: '{"inputs":[]}' });
      expect(v2.statusCode).toBe(503);
      expect(v2.json().error).toContain('still LOADING');
      expect((await app.inject({ method: 'GET', url: '/v2/models/iris/ready' })).statusCode).toBe(400);

      release();
      await app.get(ModelRegistry).whenLoaded();
      expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    } finally {
      release();
      await app.close();
      await removeDir(modelsDir);
    }
  });
});

describe('a repository holding a corrupt model', () => {
  const server = useTestApp({
    models: ['iris'],
    prepare: async (modelsDir) => {
      await mkdir(path.join(modelsDir, 'broken', '1'), { recursive: true });
      await writeFile(path.join(modelsDir, 'broken', '1', 'model.onnx'), 'this is not an onnx model');
      await mkdir(path.join(modelsDir, 'iris', '3'));
      await writeFile(path.join(modelsDir, 'iris', '3', 'model.onnx'), Buffer.from([8, 7, 0, 255, 1, 2, 3]));
    },
  });

  it('keeps serving the good versions while the bad ones are FAILED with a reason', async () => {
    const models = (await server.app.inject({ method: 'GET', url: '/v1/models' })).json().models;
    const broken = models.find((m: { name: string }) => m.name === 'broken');
    expect(broken.versions[0]).toMatchObject({ version: 1, state: 'FAILED' });
    expect(broken.versions[0].reason).toContain('onnxruntime could not load broken/1');
    const iris = models.find((m: { name: string }) => m.name === 'iris');
    expect(iris.versions.map((v: { state: string }) => v.state)).toEqual(['READY', 'READY', 'FAILED']);

    const ok = await server.app.inject({ method: 'POST', url: '/v1/models/iris/predict', headers: { 'content-type': 'application/json' }, payload: '{"instances":[[5.1,3.5,1.4,0.2]]}' });
    expect(ok.statusCode).toBe(200);
    const failed = await server.app.inject({ method: 'POST', url: '/v1/models/iris/predict', headers: { 'content-type': 'application/json', 'x-model-version': '3' }, payload: '{"instances":[[5.1,3.5,1.4,0.2]]}' });
    expect(failed.statusCode).toBe(404);
    expect(failed.json().message).toMatch(/version 3 is FAILED .*available versions: 1, 2/);
  });

  it('stays ready for the healthy models, and shows the broken one as not required on /health/ready', async () => {
    const ready = await server.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().details.model_registry.models.broken).toMatchObject({ state: 'NO_READY_VERSION', required: false });
    expect(ready.json().details.model_registry.models.iris).toMatchObject({ state: 'READY', required: true });
    expect((await server.app.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode).toBe(200);
    expect((await server.app.inject({ method: 'GET', url: '/v2/models/broken/ready' })).statusCode).toBe(400);
    expect((await server.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
  });
});
