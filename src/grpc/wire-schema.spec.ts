import { loadSync, type MessageTypeDefinition, type MethodDefinition } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { INFERENCE_SERVICE_NAME, PROTO_FILE } from './grpc-definitions';
import { wireSchemaOf, type WireMessage } from './wire-schema';

const definitions = loadSync(PROTO_FILE, { keepCase: true });
const service = definitions[INFERENCE_SERVICE_NAME] as Record<string, MethodDefinition<object, object>>;
const layout = (message: WireMessage) => Object.fromEntries([...message.fields].map(([number, field]) => [number, `${field.name} ${field.kind}${field.repeated ? '[]' : ''}`]));

describe('wireSchemaOf', () => {
  it("gives every method's request type its layout, by the type's own name", () => {
    const schemas = Object.fromEntries(Object.entries(service).map(([method, spec]) => [method, wireSchemaOf(spec.requestType, definitions)]));
    expect(Object.fromEntries(Object.entries(schemas).map(([method, schema]) => [method, schema.name]))).toEqual({
      ServerLive: 'ServerLiveRequest',
      ServerReady: 'ServerReadyRequest',
      ModelReady: 'ModelReadyRequest',
      ServerMetadata: 'ServerMetadataRequest',
      ModelMetadata: 'ModelMetadataRequest',
      ModelInfer: 'ModelInferRequest',
    });
    expect(layout(schemas.ModelReady)).toEqual({ 1: 'name string', 2: 'version string' });
    expect(schemas.ServerLive.fields.size).toBe(0);
  });

  it('follows message-typed fields into nested types, map entries and types of the package', () => {
    const request = wireSchemaOf(service.ModelInfer.requestType, definitions);
    expect(layout(request)).toEqual({
      1: 'model_name string',
      2: 'model_version string',
      3: 'id string',
      4: 'parameters message[]',
      5: 'inputs message[]',
      6: 'outputs message[]',
      7: 'raw_input_contents bytes[]',
    });
    const input = request.fields.get(5)!.message!;
    expect(layout(input)).toEqual({ 1: 'name string', 2: 'datatype string', 3: 'shape varint64[]', 4: 'parameters message[]', 5: 'contents message' });
    // A map is a repeated entry message: key 1, value 2.
    const entry = input.fields.get(4)!.message!;
    expect(layout(entry)).toEqual({ 1: 'key string', 2: 'value message' });
    expect(layout(entry.fields.get(2)!.message!)).toEqual({
      1: 'bool_param varint32',
      2: 'int64_param varint64',
      3: 'string_param string',
      4: 'double_param fixed64',
      5: 'uint64_param varint64',
    });
    expect(layout(input.fields.get(5)!.message!)).toEqual({
      1: 'bool_contents varint32[]',
      2: 'int_contents varint32[]',
      3: 'int64_contents varint64[]',
      4: 'uint_contents varint32[]',
      5: 'uint64_contents varint64[]',
      6: 'fp32_contents fixed32[]',
      7: 'fp64_contents fixed64[]',
      8: 'bytes_contents bytes[]',
    });
  });

  it('refuses a type that is not in the package it is given', () => {
    const foreign = { format: 'Protocol Buffer 3 DescriptorProto', type: { name: 'Elsewhere', field: [], nestedType: [] }, fileDescriptorProtos: [] };
    expect(() => wireSchemaOf(foreign as unknown as MessageTypeDefinition<object, object>, definitions)).toThrow('not in the package definition');
  });
});
