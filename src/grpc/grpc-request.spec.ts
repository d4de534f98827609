import { describe, expect, it } from 'vitest';
import { DomainError } from '../common/errors/domain-error';
import type { InferInputTensor, ModelInferRequest, TensorContents } from './grpc-definitions';
import { fromGrpcInferRequest } from './grpc-request';

const NO_CONTENTS: TensorContents = {
  bool_contents: [],
  int_contents: [],
  int64_contents: [],
  uint_contents: [],
  uint64_contents: [],
  fp32_contents: [],
  fp64_contents: [],
  bytes_contents: [],
};

/** A decoded message as proto-loader gives it (every field present, defaults filled in). */
function request(inputs: Partial<InferInputTensor>[], rest: Partial<ModelInferRequest> = {}): ModelInferRequest {
  return {
    model_name: 'm',
    model_version: '',
    id: '',
    parameters: {},
    outputs: [],
    raw_input_contents: [],
    ...rest,
    inputs: inputs.map((input) => ({ name: 'x', datatype: 'FP32', shape: ['1', '2'], parameters: {}, contents: null, ...input })),
  };
}

const contents = (fields: Partial<TensorContents>): TensorContents => ({ ...NO_CONTENTS, ...fields });

function problemOf(message: ModelInferRequest): string {
  try {
    fromGrpcInferRequest(message);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return (error as DomainError).message;
  }
  throw new Error('expected the request to be refused');
}

describe('fromGrpcInferRequest', () => {
  it('pairs raw_input_contents with the inputs in order, shapes as numbers', () => {
    const a = Buffer.alloc(8);
    const b = Buffer.alloc(4);
    const parts = fromGrpcInferRequest(
      request([{ name: 'a' }, { name: 'b', datatype: 'INT32', shape: ['1', '1'] }], { raw_input_contents: [a, b], id: 'r1' }),
    );
    expect(parts.header).toEqual({
      id: 'r1',
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [1, 2] },
        { name: 'b', datatype: 'INT32', shape: [1, 1] },
      ],
    });
    expect(parts.binaryInputs).toEqual([a, b]);
  });

  it("puts typed values where /v2's JSON data goes, 64-bit integers as their decimal strings", () => {
    const parts = fromGrpcInferRequest(
      request([
        { name: 'f', contents: contents({ fp32_contents: [1.5, 2] }) },
        { name: 'i', datatype: 'INT64', contents: contents({ int64_contents: ['9223372036854775807', '-1'] }) },
        { name: 'u', datatype: 'UINT8', contents: contents({ uint_contents: [0, 255] }) },
        { name: 'b', datatype: 'BOOL', contents: contents({ bool_contents: [true, false] }) },
      ]),
    );
    expect(parts.header.inputs.map((input) => input.data)).toEqual([[1.5, 2], ['9223372036854775807', '-1'], [0, 255], [true, false]]);
    expect(parts.binaryInputs).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('keeps BYTES values as bytes, in the raw form (4-byte length, then the bytes)', () => {
    const parts = fromGrpcInferRequest(
      request([{ datatype: 'BYTES', shape: ['2'], contents: contents({ bytes_contents: [Buffer.from('ab'), Buffer.from([0xff])] }) }]),
    );
    expect(parts.binaryInputs[0]).toEqual(Buffer.from([2, 0, 0, 0, 0x61, 0x62, 1, 0, 0, 0, 0xff]));
    expect(parts.header.inputs[0].data).toBeUndefined();
  });

  it('gives parameters their chosen value, and requested outputs with theirs', () => {
    const parts = fromGrpcInferRequest(
      request([{ contents: contents({ fp32_contents: [1, 2] }) }], {
        parameters: { priority: { parameter_choice: 'int64_param', int64_param: '3' }, tag: { parameter_choice: 'string_param', string_param: 'x' } },
        outputs: [{ name: 'y', parameters: { binary_data: { parameter_choice: 'bool_param', bool_param: true } } }],
      }),
    );
    expect(parts.header.parameters).toEqual({ priority: 3, tag: 'x' });
    expect(parts.header.outputs).toEqual([{ name: 'y', parameters: { binary_data: true } }]);
  });

  it('accepts an empty tensor without values', () => {
    expect(fromGrpcInferRequest(request([{ shape: ['0', '2'] }])).header.inputs[0].data).toEqual([]);
  });

  it.each([
    ['no inputs', request([]), 'the request has no inputs'],
    ['raw contents not one per input', request([{ name: 'a' }, { name: 'b' }], { raw_input_contents: [Buffer.alloc(8)] }), 'raw_input_contents has 1 entries, but the request has 2 inputs'],
    ['raw and typed contents together', request([{ contents: contents({ fp32_contents: [1, 2] }) }], { raw_input_contents: [Buffer.alloc(8)] }), 'input "x" has contents, but raw_input_contents is used'],
    ['values in the wrong field', request([{ contents: contents({ fp64_contents: [1, 2] }) }]), 'input "x" has datatype FP32, whose values go in contents.fp32_contents, not contents.fp64_contents'],
    ['no values at all', request([{}]), 'input "x" has no data; send its values in contents.fp32_contents'],
    ['FP16 as typed values', request([{ datatype: 'FP16', contents: contents({ fp32_contents: [1, 2] }) }]), 'input "x": FP16 data must be sent in raw_input_contents'],
  ])('refuses %s, saying so', (_name, message, expected) => {
    expect(problemOf(message)).toContain(expected);
  });

  it('refuses parameters without a value (a map entry cut short), naming whose', () => {
    const message = problemOf(
      request([{ contents: contents({ fp32_contents: [1, 2] }), parameters: { scale: {} } }], {
        parameters: { priority: null as never },
        outputs: [{ name: 'y', parameters: { binary_data: { parameter_choice: 'bool_param', bool_param: true }, k: {} } }],
      }),
    );
    expect(message).toContain('input "x" has parameter "scale" without a value; set one of bool_param, int64_param, string_param, double_param, uint64_param');
    expect(message).toContain('the request has parameter "priority" without a value');
    expect(message).toContain('output "y" has parameter "k" without a value');
  });

  it('refuses a dimension beyond 2^53 - 1 or negative, printing the int64 as sent', () => {
    const message = problemOf(request([{ name: 'a', shape: ['4611686018427387904', '4'] }, { name: 'b', shape: ['1', '-2'] }], { raw_input_contents: [Buffer.alloc(16), Buffer.alloc(4)] }));
    expect(message).toContain('inputs[0].shape: dimension 0 is 4611686018427387904; a dimension must be an integer from 0 to 9007199254740991');
    expect(message).toContain('inputs[1].shape: dimension 1 is -2');
    expect(message).not.toContain('4611686018427388000');
  });

  it('names every input that is wrong, not only the first', () => {
    const message = problemOf(request([{ name: 'a' }, { name: 'b', contents: contents({ int_contents: [1, 2] }) }]));
    expect(message).toContain('input "a" has no data');
    expect(message).toContain('input "b" has datatype FP32');
  });
});
