import { describe, expect, it } from 'vitest';
import type { TensorMap } from '../inference/tensors';
import type { RequestedOutput } from './request-decoder';
import { encodeInferenceResponse } from './response-encoder';

const READY = { name: 'multi', version: 3 };

const RESULTS: TensorMap = {
  scores: { type: 'float32', dims: [2, 2], data: new Float32Array([0.5, 1.5, -2, 4]) },
  label: { type: 'string', dims: [2], data: ['ab', 'é'] },
  flags: { type: 'bool', dims: [3], data: new Uint8Array([1, 0, 1]) },
  big: { type: 'int64', dims: [1], data: new BigInt64Array([2n ** 53n + 1n]) },
  empty: { type: 'float32', dims: [0, 2], data: new Float32Array(0) },
};

function encode(outputs: RequestedOutput[], id?: string) {
  return encodeInferenceResponse(READY, { id, outputs }, RESULTS);
}

describe('encodeInferenceResponse: JSON outputs', () => {
  it('answers the JSON alone, each output flat in row-major order, with the serving version and the request id', () => {
    const { body, headerLength } = encode([{ name: 'scores', binary: false }], '42');
    expect(headerLength).toBeUndefined();
    expect(body.toString()).toBe(
      '{"model_name":"multi","model_version":"3","id":"42","outputs":[{"name":"scores","datatype":"FP32","shape":[2,2],"data":[0.5,1.5,-2,4]}]}',
    );
  });

  it('leaves the id out when the request had none, and answers the outputs in the order requested', () => {
    const response = JSON.parse(encode([{ name: 'label', binary: false }, { name: 'scores', binary: false }]).body.toString());
    expect(response).not.toHaveProperty('id');
    expect(response.outputs.map((output: { name: string }) => output.name)).toEqual(['label', 'scores']);
    expect(response.outputs[0]).toEqual({ name: 'label', datatype: 'BYTES', shape: [2], data: ['ab', 'é'] });
  });

  it('writes BOOL as true/false and 64-bit integers as exact numbers', () => {
    const { body } = encode([{ name: 'flags', binary: false }, { name: 'big', binary: false }]);
    expect(body.toString()).toContain('{"name":"flags","datatype":"BOOL","shape":[3],"data":[true,false,true]}');
    expect(body.toString()).toContain('{"name":"big","datatype":"INT64","shape":[1],"data":[9007199254740993]}');
  });
});

describe('encodeInferenceResponse: binary outputs', () => {
  it('gives binary outputs binary_data_size and puts their bytes after the JSON header, in output order', () => {
    const { body, headerLength } = encode([
      { name: 'label', binary: true },
      { name: 'flags', binary: false },
      { name: 'scores', binary: true },
    ]) as { body: Buffer; headerLength: number };
    expect(headerLength).toBeGreaterThan(0);
    const header = JSON.parse(body.subarray(0, headerLength).toString('utf8'));
    expect(header.outputs).toEqual([
      { name: 'label', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: 12 } },
      { name: 'flags', datatype: 'BOOL', shape: [3], data: [true, false, true] },
      { name: 'scores', datatype: 'FP32', shape: [2, 2], parameters: { binary_data_size: 16 } },
    ]);
    const binary = body.subarray(headerLength);
    expect(binary.length).toBe(12 + 16);
    // BYTES: each element a 4-byte little-endian length, then its UTF-8 bytes.
    expect([...binary.subarray(0, 12)]).toEqual([2, 0, 0, 0, 0x61, 0x62, 2, 0, 0, 0, 0xc3, 0xa9]);
    const scores = binary.subarray(12);
    expect([0, 4, 8, 12].map((at) => scores.readFloatLE(at))).toEqual([0.5, 1.5, -2, 4]);
  });

  it('answers binary even when the only binary output is empty', () => {
    const { body, headerLength } = encode([{ name: 'empty', binary: true }]);
    expect(headerLength).toBe(body.length);
    expect(JSON.parse(body.toString()).outputs).toEqual([
      { name: 'empty', datatype: 'FP32', shape: [0, 2], parameters: { binary_data_size: 0 } },
    ]);
  });
});

describe('encodeInferenceResponse: a model that breaks its contract', () => {
  it('fails as a server fault when a requested output is missing from the results', () => {
    expect(() => encode([{ name: 'missing', binary: false }])).toThrow('onnxruntime returned no tensor for output missing');
  });
});
