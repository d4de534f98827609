import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import {
  encodeMessage,
  messageField,
  packedField,
  stringField,
  tag,
  varint,
  varintField,
  WIRE,
  withWireType,
  type Field,
} from '../../test/support/protobuf-wire';
import { INFERENCE_SERVICE_NAME, PROTO_FILE } from './grpc-definitions';
import { wireFormatProblem } from './wire-format-check';
import { wireSchemaOf } from './wire-schema';

const definitions = loadSync(PROTO_FILE, { keepCase: true, longs: String, defaults: true, oneofs: true });
const modelInfer = (definitions[INFERENCE_SERVICE_NAME] as Record<string, MethodDefinition<object, object>>).ModelInfer;
const schema = wireSchemaOf(modelInfer.requestType, definitions);
const problemOf = (bytes: Buffer) => wireFormatProblem(bytes, schema);

/** What a client's serializer writes: every field of ModelInferRequest, nested ones too. */
const REQUEST = {
  model_name: 'iris',
  model_version: '2',
  id: 'r-1',
  parameters: { priority: { int64_param: '-3' }, tag: { string_param: 'x' } },
  inputs: [
    {
      name: 'input',
      datatype: 'FP32',
      shape: ['1', '4'],
      parameters: { binary_data: { bool_param: true } },
      contents: { fp32_contents: [1, 2, 3, 4], int_contents: [-1, 7], int64_contents: ['-9223372036854775808'], bytes_contents: [Buffer.from('é')] },
    },
  ],
  outputs: [{ name: 'probabilities', parameters: { binary_data: { bool_param: false } } }],
  raw_input_contents: [Buffer.from([1, 2, 3])],
};
const serialized = (request: object) => modelInfer.requestSerialize(request);

/** An InferInputTensor written by hand, with the contents given (as bytes: they may be anything); they start at byte 29 of `nested`. */
const input = (contents: Buffer): Field =>
  messageField(5, [stringField(1, 'input'), stringField(2, 'FP32'), packedField(3, [varint(1), varint(4)], WIRE.VARINT), { number: 5, wireType: WIRE.LEN, value: contents }]);
const nested = (contents: Buffer) => encodeMessage([stringField(1, 'iris'), input(contents), { number: 7, wireType: WIRE.LEN, value: Buffer.alloc(16) }]).bytes;

describe('wireFormatProblem', () => {
  it('accepts what a serializer writes, and unknown fields of every valid wire type', () => {
    expect(problemOf(serialized(REQUEST))).toBeUndefined();
    expect(problemOf(Buffer.alloc(0))).toBeUndefined();
    const unknown = Buffer.concat([tag(15, WIRE.VARINT), varint(2n ** 63n), tag(16, WIRE.I64), Buffer.alloc(8), tag(17, WIRE.LEN), varint(2), Buffer.from([0xff, 0xff]), tag(2047, WIRE.I32), Buffer.alloc(4)]);
    expect(problemOf(Buffer.concat([serialized(REQUEST), unknown]))).toBeUndefined();
  });

  it('accepts repeated numbers packed or one by one, and a negative int32 sign-extended to 10 bytes', () => {
    const contents = [
      { number: 2, wireType: WIRE.VARINT, value: varint(-1) },
      packedField(2, [varint(-1), varint(5)], WIRE.VARINT),
      { number: 6, wireType: WIRE.I32, value: Buffer.alloc(4) },
      { number: 7, wireType: WIRE.I64, value: Buffer.alloc(8) },
    ];
    expect(varint(-1)).toHaveLength(10);
    expect(problemOf(nested(encodeMessage(contents).bytes))).toBeUndefined();
  });

  it('refuses every truncation that ends inside a field, and only those', () => {
    const bytes = serialized(REQUEST);
    // Field by field (each element of a repeated field, each entry of a map), as the serializer writes them:
    // a cut between two fields is a shorter, valid message.
    const boundaries = new Set<number>([0]);
    let end = 0;
    for (const [key, value] of Object.entries(REQUEST)) {
      const occurrences = Array.isArray(value) ? value.map((element) => [element]) : typeof value === 'object' ? Object.entries(value).map(([k, v]) => ({ [k]: v })) : [value];
      for (const occurrence of occurrences) boundaries.add((end += serialized({ [key]: occurrence }).length));
    }
    expect(end).toBe(bytes.length);
    for (let length = 0; length < bytes.length; length++) {
      const problem = problemOf(bytes.subarray(0, length));
      if (boundaries.has(length)) expect(problem, `cut at ${length}`).toBeUndefined();
      else expect(problem, `cut at ${length}`).toMatch(/byte \d+: /);
    }
  });

  it.each<[string, Buffer, string]>([
    ['a string longer than the bytes left', Buffer.concat([serialized({ model_name: 'iris' }), tag(2, WIRE.LEN), varint(16), Buffer.from('1')]), 'model_version, byte 7: the length says 16 bytes, but only 1 is left'],
    ['a length cut in its varint', Buffer.concat([tag(7, WIRE.LEN), Buffer.from([0x80])]), 'raw_input_contents[0], byte 1: the length is cut short in the middle of its varint'],
    ['a 64-bit varint cut at the end', Buffer.concat([tag(15, WIRE.VARINT), Buffer.from([0x80, 0x80, 0x80, 0x80])]), 'field 15, byte 1: the value is cut short in the middle of its varint'],
    ['a varint longer than 10 bytes', Buffer.concat([tag(15, WIRE.VARINT), Buffer.alloc(10, 0x80), Buffer.from([0])]), 'the value is a varint longer than 10 bytes'],
    ['a fixed32 cut', Buffer.concat([tag(15, WIRE.I32), Buffer.alloc(3)]), 'field 15, byte 1: the 4-byte value is cut short: 3 bytes left'],
    ['a fixed64 cut', Buffer.concat([tag(15, WIRE.I64), Buffer.alloc(7)]), 'the 8-byte value is cut short: 7 bytes left'],
    ['field number 0', Buffer.concat([serialized({ model_name: 'iris' }), Buffer.from([0x00, 0x01])]), 'byte 6: a field tag with field number 0'],
    ['a start-group tag of a known field', Buffer.concat([tag(5, WIRE.SGROUP), tag(5, WIRE.EGROUP)]), 'byte 0: field 5 has a start group tag (wire type 3); groups are not part of proto3'],
    ['a start-group tag of an unknown field', Buffer.concat([tag(20, WIRE.SGROUP), tag(20, WIRE.EGROUP)]), 'field 20 has a start group tag'],
    ['an end-group tag', tag(1, WIRE.EGROUP), 'field 1 has a end group tag (wire type 4)'],
    ['wire type 6', tag(15, 6), 'field 15 has wire type 6, which does not exist'],
    ['wire type 7', tag(1, 7), 'field 1 has wire type 7'],
    ['a known field with another wire type', Buffer.concat([tag(1, WIRE.VARINT), varint(4)]), 'byte 0: field 1 (model_name) has wire type 0 (varint), but its values are sent with wire type 2 (length-delimited)'],
    ['a tag over 32 bits', Buffer.from([0x88, 0x80, 0x80, 0x80, 0x10]), 'byte 0: the field tag is larger than 32 bits'],
    ['a string that is not UTF-8', Buffer.concat([tag(1, WIRE.LEN), varint(2), Buffer.from([0xc3, 0x28])]), 'model_name, byte 2: the string is not valid UTF-8'],
  ])('refuses %s, saying where', (_name, bytes, expected) => {
    expect(problemOf(bytes)).toContain(expected);
  });

  describe('inside nested messages, where every outer length is consistent', () => {
    it.each<[string, Buffer, string]>([
      ['packed varints cut in the middle', Buffer.concat([tag(3, WIRE.LEN), varint(2), Buffer.from([0x01, 0x80])]), 'inputs[0].contents.int64_contents, byte 30: a packed value is cut short in the middle of its varint'],
      ['packed fixed32 values not a multiple of 4', Buffer.concat([tag(6, WIRE.LEN), varint(6), Buffer.alloc(6)]), 'inputs[0].contents.fp32_contents, byte 29: packed 4-byte values take 6 bytes, which is not a multiple of 4'],
      ['a 32-bit varint of 7 bytes', Buffer.concat([tag(2, WIRE.VARINT), Buffer.from([0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])]), 'inputs[0].contents.int_contents, byte 28: a 32-bit value takes 7 bytes (1 to 5, or 10 for a negative number)'],
      ['a string element claiming more than its message holds', Buffer.concat([tag(8, WIRE.LEN), varint(5), Buffer.from('ab')]), 'inputs[0].contents.bytes_contents[0], byte 28: the length says 5 bytes, but only 2 are left'],
      ['a varint cut at the end of its message', Buffer.concat([tag(3, WIRE.VARINT), Buffer.from([0x80, 0x80])]), 'inputs[0].contents.int64_contents, byte 28: the value is cut short in the middle of its varint'],
      ['a fixed64 cut at the end of its message', Buffer.concat([tag(7, WIRE.I64), Buffer.alloc(5)]), 'inputs[0].contents.fp64_contents, byte 28: the 8-byte value is cut short: 5 bytes left'],
      ['a group tag', Buffer.concat([tag(1, WIRE.SGROUP), tag(1, WIRE.EGROUP)]), 'inputs[0].contents, byte 27: field 1 has a start group tag (wire type 3)'],
      ['field number 0', Buffer.from([0x00, 0x01]), 'inputs[0].contents, byte 27: a field tag with field number 0'],
    ])('refuses %s, naming the field', (_name, contents, expected) => {
      expect(problemOf(nested(contents))).toContain(expected);
    });

    it('refuses a map value cut short, inside a map entry', () => {
      const parameter = messageField(4, [stringField(1, 'k'), { number: 2, wireType: WIRE.LEN, value: Buffer.concat([tag(3, WIRE.LEN), varint(9), Buffer.from('x')]) }]);
      expect(problemOf(encodeMessage([parameter]).bytes)).toBe('parameters[0].value.string_param, byte 8: the length says 9 bytes, but only 1 is left');
    });

    it('refuses any wire type but the field\'s own at every tag', () => {
      const contents = messageField(5, [packedField(6, [Buffer.alloc(4)], WIRE.I32), { number: 8, wireType: WIRE.LEN, value: Buffer.from('a') }]);
      const tensor = messageField(5, [stringField(1, 'input'), packedField(3, [varint(1)], WIRE.VARINT), contents]);
      const { bytes, tags } = encodeMessage([stringField(1, 'iris'), tensor, messageField(4, [stringField(1, 'k'), messageField(2, [varintField(1, 1)])])]);
      expect(tags).toHaveLength(11);
      expect(problemOf(bytes)).toBeUndefined();
      for (const site of tags) {
        for (const wireType of [WIRE.VARINT, WIRE.I64, WIRE.LEN, WIRE.I32].filter((type) => !site.accepts.includes(type))) {
          expect(problemOf(withWireType(bytes, site, wireType)), `tag at ${site.offset} as wire type ${wireType}`).toMatch(
            new RegExp(`byte ${site.offset}: field \\d+ \\(\\w+\\) has wire type ${wireType}`),
          );
        }
      }
    });
  });
});
