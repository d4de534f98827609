import { describe, expect, it } from 'vitest';
import { DomainError } from '../common/errors/domain-error';
import { serializeBytesTensor } from './binary-codec';
import type { V2InferenceRequestDto, V2RequestInputDto } from './dto/inference.dto';
import { decodeInferenceRequest, type VersionSignature } from './request-decoder';

const MODEL: VersionSignature = {
  name: 'multi',
  version: 3,
  model: {
    inputs: [
      { name: 'pixels', type: 'float32', dims: [null, 2] },
      { name: 'ids', type: 'int64', dims: [null, 3] },
      { name: 'text', type: 'string', dims: [null] },
    ],
    outputs: [
      { name: 'scores', type: 'float32', dims: [null, 2] },
      { name: 'label', type: 'string', dims: [null] },
    ],
  },
};

const PIXELS: V2RequestInputDto = { name: 'pixels', datatype: 'FP32', shape: [2, 2], data: [[1, 2], [3, 4]] };
const IDS: V2RequestInputDto = { name: 'ids', datatype: 'INT64', shape: [1, 3], data: [7, 8, 9] };
const TEXT: V2RequestInputDto = { name: 'text', datatype: 'BYTES', shape: [2], data: ['a', 'é'] };
const INPUTS = [PIXELS, IDS, TEXT];

const NONE = Buffer.alloc(0);

function float32LE(values: readonly number[]): Buffer {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes;
}

function refusal(request: V2InferenceRequestDto, binary: Buffer = NONE): { code: string; message: string } {
  try {
    decodeInferenceRequest(MODEL, request, binary);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return { code: (error as DomainError).code, message: (error as DomainError).message };
  }
  throw new Error('expected the request to be refused');
}

describe('decodeInferenceRequest: inputs', () => {
  it('turns JSON data, flat or nested, into tensors of the given shape in row-major order', () => {
    const { feeds } = decodeInferenceRequest(MODEL, { inputs: INPUTS }, NONE);
    expect(feeds.pixels.type).toBe('float32');
    expect(feeds.pixels.dims).toEqual([2, 2]);
    expect([...(feeds.pixels.data as Float32Array)]).toEqual([1, 2, 3, 4]);
    expect([...(feeds.ids.data as BigInt64Array)]).toEqual([7n, 8n, 9n]);
    expect(feeds.text).toEqual({ type: 'string', dims: [2], data: ['a', 'é'] });
  });

  it("turns an input's binary bytes, cut from the data after the JSON header in input order, into its typed tensor", () => {
    const pixels = float32LE([0.5, -1.5, 2.25, 3]);
    const text = serializeBytesTensor(['héllo', '']);
    const request: V2InferenceRequestDto = {
      inputs: [
        { name: 'pixels', datatype: 'FP32', shape: [2, 2], parameters: { binary_data_size: pixels.length } },
        IDS,
        { name: 'text', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: text.length } },
      ],
    };
    const { feeds } = decodeInferenceRequest(MODEL, request, Buffer.concat([pixels, text]));
    expect(feeds.pixels.data).toBeInstanceOf(Float32Array);
    expect(feeds.pixels.dims).toEqual([2, 2]);
    expect([...(feeds.pixels.data as Float32Array)]).toEqual([0.5, -1.5, 2.25, 3]);
    expect(feeds.text).toEqual({ type: 'string', dims: [2], data: ['héllo', ''] });
  });

  it('refuses binary bytes that do not fit the shape, as an invalid input', () => {
    const request: V2InferenceRequestDto = {
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: [2, 2], parameters: { binary_data_size: 12 } }, IDS, TEXT],
    };
    expect(refusal(request, Buffer.alloc(12))).toEqual({
      code: 'INVALID_INPUT',
      message: 'input "pixels": binary_data_size is 12 bytes, but shape [2, 2] of FP32 needs 16 (4 elements × 4 bytes)',
    });
  });

  it('refuses binary sizes that do not add up before looking at anything else', () => {
    const request: V2InferenceRequestDto = {
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: [2, 2], parameters: { binary_data_size: 16 } }],
      outputs: [{ name: 'nope' }],
    };
    expect(refusal(request, Buffer.alloc(8))).toEqual({
      code: 'BAD_REQUEST',
      message: 'input "pixels": binary_data_size is 16 bytes, but only 8 bytes of binary data are left after the JSON header',
    });
  });

  it('reports every input that does not fit the model together, before decoding any data', () => {
    const request: V2InferenceRequestDto = {
      inputs: [{ ...PIXELS, datatype: 'FP64', shape: [2, 3] }, { ...IDS, data: ['not a number'] }, { name: 'text', datatype: 'BYTES', shape: [2] }],
    };
    expect(refusal(request)).toEqual({
      code: 'INVALID_INPUT',
      message:
        'input "pixels" has datatype FP64, but the model expects FP32; ' +
        'input "pixels" has shape [2, 3], but the model expects [-1, 2] (-1: any size); ' +
        'input "text" has no "data" (and no parameters.binary_data_size for binary data)',
    });
  });

  it('names unknown, missing and repeated inputs with the inputs the model has', () => {
    expect(refusal({ inputs: [PIXELS, PIXELS, IDS, { ...IDS, name: 'extra' }] }).message).toBe(
      'input "pixels" is given more than once; ' +
        'unknown input "extra"; missing input "text"; model "multi" version 3 has inputs: pixels, ids, text',
    );
  });

  it('refuses an input with both data and binary bytes', () => {
    const request: V2InferenceRequestDto = { inputs: [{ ...PIXELS, parameters: { binary_data_size: 16 } }, IDS, TEXT] };
    expect(refusal(request, float32LE([1, 2, 3, 4])).message).toBe(
      'input "pixels" has both "data" and parameters.binary_data_size; send one of them',
    );
  });
});

describe('decodeInferenceRequest: requested outputs', () => {
  it("answers every output in the model's order, as JSON, when the request names none", () => {
    const decoded = decodeInferenceRequest(MODEL, { id: '42', inputs: INPUTS }, NONE);
    expect(decoded.id).toBe('42');
    expect(decoded.outputs).toEqual([
      { name: 'scores', binary: false },
      { name: 'label', binary: false },
    ]);
    expect(decoded.outputNames).toEqual(['scores', 'label']);
  });

  it('takes binary_data_output as the default and binary_data of an output over it', () => {
    const decoded = decodeInferenceRequest(
      MODEL,
      { parameters: { binary_data_output: true }, inputs: INPUTS, outputs: [{ name: 'label' }, { name: 'scores', parameters: { binary_data: false } }] },
      NONE,
    );
    expect(decoded.outputs).toEqual([
      { name: 'label', binary: true },
      { name: 'scores', binary: false },
    ]);
    expect(decoded.outputNames).toEqual(['label', 'scores']);
  });

  it('refuses an unknown output, naming the outputs the model has, before any input problem', () => {
    expect(refusal({ inputs: [PIXELS], outputs: [{ name: 'scores' }, { name: 'nope' }] })).toEqual({
      code: 'INVALID_INPUT',
      message: 'unknown output "nope"; model "multi" version 3 has outputs: scores, label',
    });
  });

  it('names at most ten unknown outputs', () => {
    const outputs = Array.from({ length: 12 }, (_, i) => ({ name: `o${i}` }));
    expect(refusal({ inputs: INPUTS, outputs }).message).toBe(
      'unknown outputs "o0", "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o9" (and 2 more); model "multi" version 3 has outputs: scores, label',
    );
  });

  it.each<[string, V2InferenceRequestDto, string]>([
    ['an output asked twice', { inputs: INPUTS, outputs: [{ name: 'label' }, { name: 'label' }] }, 'output "label" is requested more than once'],
    [
      'binary_data not a boolean',
      { inputs: INPUTS, outputs: [{ name: 'label', parameters: { binary_data: 'yes' } }] },
      'output "label": parameters.binary_data must be true or false, got "yes"',
    ],
    ['binary_data_output not a boolean', { parameters: { binary_data_output: 1 }, inputs: INPUTS }, 'parameters.binary_data_output must be true or false, got 1'],
    [
      'the shared memory extension',
      { inputs: [{ ...PIXELS, parameters: { shared_memory_region: 'r' } }, IDS, TEXT] },
      '"pixels": the shared memory extension is not supported; send the data in the request',
    ],
    [
      'the classification extension',
      { inputs: INPUTS, outputs: [{ name: 'scores', parameters: { classification: 2 } }] },
      'output "scores": the classification extension is not supported',
    ],
  ])('refuses %s', (_what, request, message) => {
    expect(refusal(request)).toEqual({ code: 'INVALID_INPUT', message });
  });
});
