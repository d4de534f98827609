import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/app-config';
import type { InferenceEngine, LoadedModel } from '../inference/engine-contracts';
import type { TensorMap } from '../inference/tensors';
import { ModelRegistry } from '../model-registry/model-registry.service';
import { ModelStore } from '../model-registry/model-store';
import type { MetricsService } from '../observability/metrics.service';
import { RequestContext } from '../request-context/request-context';
import { ModelRunner } from '../serving/model-runner';
import { PredictionObservers } from '../serving/prediction-observers';
import { HttpWireFormat } from './http-wire-format';
import { InferencePipeline } from './inference-pipeline';

/** Every version echoes its float input x [N, 2] as y, and fails (as onnxruntime does on inputs that disagree) on a first value of 999. */
class FakeEngine implements InferenceEngine {
  /** The versions that ran, one entry per inference. */
  readonly runs: string[] = [];

  async load(bytes: Uint8Array): Promise<LoadedModel> {
    const version = Buffer.from(bytes).toString();
    const runs = this.runs;
    return {
      inputs: [{ name: 'x', type: 'float32', dims: [null, 2] }],
      outputs: [{ name: 'y', type: 'float32', dims: [null, 2] }],
      async run(feeds: TensorMap): Promise<TensorMap> {
        runs.push(version);
        if ((feeds.x.data as Float32Array)[0] === 999) throw new Error('the dimensions of x and its partner disagree');
        return { y: feeds.x };
      },
      async release() {},
    };
  }
}

const NOW = 1_800_000_000_000;
const TWO_ROWS = { inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3, 4] }] };

describe('InferencePipeline', () => {
  let root: string;
  let engine: FakeEngine;
  let registry: ModelRegistry;
  const predictions: string[] = [];

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'pipeline-'));
    for (const version of ['1', '2']) {
      await mkdir(path.join(root, 'm', version), { recursive: true });
      await writeFile(path.join(root, 'm', version, 'model.onnx'), version);
    }
    await writeFile(path.join(root, 'm', 'config.json'), JSON.stringify({ default_version: 2, labels: { stable: 2 } }));
    engine = new FakeEngine();
    registry = new ModelRegistry(new ModelStore(root), engine);
    await registry.whenLoaded();
    engine.runs.length = 0;
    predictions.length = 0;
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(root, { recursive: true, force: true });
  });

  function pipeline(env: Record<string, string> = {}): InferencePipeline {
    const metrics = {
      serving: {
        prediction: (model: string, version: number, outcome: string) => predictions.push(`${model}/${version} ${outcome}`),
        cacheLookup: () => undefined,
      },
    } as unknown as MetricsService;
    return new InferencePipeline(registry, new ModelRunner(metrics, new PredictionObservers(), registry), loadConfig(env));
  }

  const context = () => new RequestContext('request-1', 'http', 'POST', '/v2/models/:name/infer', '/v2/models/m/infer', () => false);
  const http = new HttpWireFormat(loadConfig({}));
  const jsonBody = (body: object) => ({ body, headers: {} });

  /** One REST inference (JSON in, JSON out) on the version chosen, its answer parsed. */
  async function infer(
    on: InferencePipeline,
    body: object,
    options: { version?: Parameters<InferencePipeline['resolve']>[1]; deadline?: number; context?: RequestContext } = {},
  ) {
    const ready = on.resolve('m', options.version ?? { kind: 'default' });
    const answer = await on.infer(ready, http, jsonBody(body), options.deadline, options.context ?? context());
    return JSON.parse(answer.body as string);
  }

  describe('the deadline: the earlier of QUEUE_TIMEOUT_MS from now and the caller’s own', () => {
    beforeEach(() => vi.spyOn(Date, 'now').mockReturnValue(NOW));

    it.each([
      ['a caller who waits less than the queue timeout', '1000', NOW + 100, NOW + 100],
      ['a caller who waits longer', '1000', NOW + 60_000, NOW + 1000],
      ['a caller without a deadline', '1000', undefined, NOW + 1000],
      ['no queue timeout (0), a caller with one', '0', NOW + 250, NOW + 250],
      ['neither', '0', undefined, undefined],
    ])('%s', async (_what, queueTimeout, callerDeadline, expected) => {
      const served = context();
      await infer(pipeline({ QUEUE_TIMEOUT_MS: queueTimeout }), TWO_ROWS, { deadline: callerDeadline, context: served });
      // What the version's batcher reads: queued work past it is dropped.
      expect(served.deadline).toBe(expected);
    });

    it('a request still queued when its deadline passes is dropped, not run (503, retry later)', async () => {
      const served = context();
      const dropped = infer(pipeline({ QUEUE_TIMEOUT_MS: '1000' }), TWO_ROWS, { deadline: NOW - 1, context: served });
      await expect(dropped).rejects.toMatchObject({ code: 'OVERLOADED', message: 'the request deadline passed before model m/2 could run it' });
      expect(engine.runs).toEqual([]);
      expect(served.outcome).toBe('rejected');
    });
  });

  describe('which version serves', () => {
    it('a version in the path wins over the default and the labels', async () => {
      const answer = await infer(pipeline(), TWO_ROWS, { version: { number: 1 } });
      expect(answer.model_version).toBe('1');
      expect(engine.runs).toEqual(['1']);
    });

    it('without one, the selector: the default, a label, a number', async () => {
      const on = pipeline();
      expect((await infer(on, TWO_ROWS)).model_version).toBe('2');
      expect((await infer(on, TWO_ROWS, { version: { kind: 'label', label: 'stable' } })).model_version).toBe('2');
      expect((await infer(on, TWO_ROWS, { version: { kind: 'number', version: 1 } })).model_version).toBe('1');
    });

    it('an unknown model or version is refused with what there is, before the body is read', () => {
      expect(() => pipeline().resolve('nope', { kind: 'default' })).toThrow(/model "nope" not found/);
      expect(() => pipeline().resolve('m', { number: 7 })).toThrow(/version 7 does not exist; available versions: 1, 2/);
    });
  });

  describe('inference', () => {
    it('answers the outputs with the version that served, counted as a success of that version', async () => {
      const served = context();
      const answer = await infer(pipeline(), { id: 'a-7', ...TWO_ROWS }, { context: served });
      expect(answer).toEqual({
        model_name: 'm',
        model_version: '2',
        id: 'a-7',
        outputs: [{ name: 'y', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3, 4] }],
      });
      expect([served.model, served.version, served.outcome]).toEqual(['m', 2, 'success']);
      expect(predictions).toEqual(['m/2 success']);
    });

    it('refuses an unknown output, naming it and the outputs there are, without running the model', async () => {
      const served = context();
      const refused = infer(pipeline(), { ...TWO_ROWS, outputs: [{ name: 'y' }, { name: 'z' }] }, { context: served });
      await expect(refused).rejects.toThrow('unknown output "z"; model "m" version 2 has outputs: y');
      await expect(refused).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      expect(engine.runs).toEqual([]);
      expect(served.outcome).toBe('invalid_input');
      expect(predictions).toEqual(['m/2 invalid_input']);
    });

    it('refuses a request whose structure is wrong before checking it against the model', async () => {
      await expect(infer(pipeline(), { inputs: 'x' })).rejects.toThrow('inputs must be an array');
      expect(engine.runs).toEqual([]);
    });

    it("blames the inputs for a model's failure on inputs that fit its declared datatypes and shapes (a 400, not a 500)", async () => {
      const refused = infer(pipeline(), { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [999, 0] }] });
      await expect(refused).rejects.toThrow(/inference failed for m\/2: .*disagree \(the inputs fit the model's declared datatypes and shapes/);
      await expect(refused).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      expect(predictions).toEqual(['m/2 invalid_input']);
    });
  });

  describe('model readiness and metadata, one answer for both transports', () => {
    it('an unknown model or version is "not ready"; a ready one is ready', () => {
      const on = pipeline();
      expect(on.isModelReady('m', { kind: 'default' })).toBe(true);
      expect(on.isModelReady('m', { number: 1 })).toBe(true);
      expect(on.isModelReady('m', { number: 3 })).toBe(false);
      expect(on.isModelReady('m', { kind: 'label', label: 'beta' })).toBe(false);
      expect(on.isModelReady('nope', { kind: 'default' })).toBe(false);
    });

    it("metadata lists the READY versions and the version's tensors (-1: any size), naming the version in the request's records", () => {
      const on = pipeline();
      const served = context();
      expect(on.metadata(on.resolve('m', { number: 1 }), served)).toEqual({
        name: 'm',
        versions: ['1', '2'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
        outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
      });
      expect([served.model, served.version]).toEqual(['m', 1]);
    });
  });

});
