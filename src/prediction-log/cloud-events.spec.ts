import { describe, expect, it } from 'vitest';
import type { PredictionRecord } from '../serving/prediction-observers';
import { CE_INFERENCE_REQUEST, CE_INFERENCE_RESPONSE, cloudEventsOf } from './cloud-events';

const record: PredictionRecord = {
  model: 'iris',
  version: 1,
  protocol: 'grpc',
  requestId: 'abc-1',
  traceId: '0af7651916cd43dd8448eb211c80319c',
  startedAt: Date.UTC(2026, 4, 1, 12, 0, 0, 0),
  latencyMs: 2.5,
  rows: 2,
  inputs: { input: { type: 'float32', dims: [2, 2], data: Float32Array.from([1, 2, 3, 4]) } },
  outputs: { label: { type: 'int64', dims: [2], data: BigInt64Array.from([1n, 0n]) } },
};

describe('cloudEventsOf: the two events of a prediction, as KServe logs them', () => {
  const [request, response] = cloudEventsOf(record, { source: 'http://pod-a:3000/', maxValueBytes: 4096 });

  it('sends binary-mode CloudEvents headers with one ce-id for the request and the response', () => {
    expect(request.headers).toEqual({
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'abc-1',
      'ce-source': 'http://pod-a:3000/',
      'ce-type': CE_INFERENCE_REQUEST,
      'ce-time': '2026-05-01T12:00:00.000Z',
      'ce-inferenceservicename': 'iris',
      'ce-component': 'predictor',
      'ce-modelversion': '1',
      'ce-traceid': '0af7651916cd43dd8448eb211c80319c',
    });
    expect(response.headers).toMatchObject({ 'ce-id': 'abc-1', 'ce-type': CE_INFERENCE_RESPONSE, 'ce-time': '2026-05-01T12:00:00.002Z' });
    expect(CE_INFERENCE_REQUEST).toBe('org.kubeflow.serving.inference.request');
    expect(CE_INFERENCE_RESPONSE).toBe('org.kubeflow.serving.inference.response');
  });

  it('carries Open Inference Protocol bodies, one data entry per instance', () => {
    expect(JSON.parse(request.body)).toEqual({
      id: 'abc-1',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 2], data: [[1, 2], [3, 4]] }],
    });
    expect(JSON.parse(response.body)).toEqual({
      model_name: 'iris',
      model_version: '1',
      id: 'abc-1',
      outputs: [{ name: 'label', datatype: 'INT64', shape: [2], data: [1, 0] }],
    });
  });

  it('makes up one id for both events when the prediction has none, and leaves ce-traceid out when untraced', () => {
    const [a, b] = cloudEventsOf({ ...record, requestId: undefined, traceId: undefined }, { source: 's', maxValueBytes: 0 });
    expect(a.headers['ce-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(b.headers['ce-id']).toBe(a.headers['ce-id']);
    expect(a.headers).not.toHaveProperty('ce-traceid');
    expect(JSON.parse(a.body).id).toBe(a.headers['ce-id']);
  });

  it('puts a digest in place of an instance over the limit', () => {
    const [big] = cloudEventsOf(record, { source: 's', maxValueBytes: 4 });
    const [input] = JSON.parse(big.body).inputs;
    expect(input.data).toEqual([
      expect.objectContaining({ bytes: 8, datatype: 'FP32', shape: [2], sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
      expect.objectContaining({ bytes: 8 }),
    ]);
  });

  it("gives a shadow version's answer events of its own (ce-id <request id>.shadow), marked, naming the version that served", () => {
    const [shadowRequest, shadowResponse] = cloudEventsOf({ ...record, version: 2, shadowOf: 1 }, { source: 's', maxValueBytes: 4096 });
    for (const event of [shadowRequest, shadowResponse]) {
      expect(event.headers).toMatchObject({ 'ce-id': 'abc-1.shadow', 'ce-modelversion': '2', 'ce-shadow': 'true', 'ce-servingversion': '1' });
    }
    // The bodies keep the request's own id: the served and the shadow answers join on it.
    expect(JSON.parse(shadowResponse.body)).toMatchObject({ id: 'abc-1', model_version: '2' });
    expect(request.headers).not.toHaveProperty('ce-shadow');
  });
});
