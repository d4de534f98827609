import path from 'node:path';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { wireFormatProblem } from './wire-format-check';
import { wireSchemaOf } from './wire-schema';

/** proto/ at the repository root: the same path from src/grpc (tests) and dist/grpc (the build). */
export const PROTO_FILE = path.join(__dirname, '../../proto/open_inference_grpc.proto');

export const INFERENCE_SERVICE_NAME = 'inference.GRPCInferenceService';

/**
 * How messages look once decoded: field names as in the .proto, 64-bit
 * integers as decimal strings (a shape or an INT64 value must not lose
 * precision on its way in), every field present (defaults filled in), and
 * oneofs naming their chosen field.
 */
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, arrays: true, oneofs: true } as const;

export interface InferParameter {
  readonly parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  readonly bool_param?: boolean;
  readonly int64_param?: string;
  readonly string_param?: string;
  readonly double_param?: number;
  readonly uint64_param?: string;
}

export type Parameters = Readonly<Record<string, InferParameter>>;

export interface TensorContents {
  readonly bool_contents: readonly boolean[];
  readonly int_contents: readonly number[];
  readonly int64_contents: readonly string[];
  readonly uint_contents: readonly number[];
  readonly uint64_contents: readonly string[];
  readonly fp32_contents: readonly number[];
  readonly fp64_contents: readonly number[];
  readonly bytes_contents: readonly Buffer[];
}

export interface InferInputTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly string[];
  readonly parameters: Parameters;
  readonly contents: TensorContents | null;
}

export interface ModelInferRequest {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly parameters: Parameters;
  readonly inputs: readonly InferInputTensor[];
  readonly outputs: readonly { readonly name: string; readonly parameters: Parameters }[];
  readonly raw_input_contents: readonly Buffer[];
}

export interface ModelInferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: { name: string; datatype: string; shape: number[] }[];
  raw_output_contents: Buffer[];
}

/** What a request deserializer returns for bytes that are not a valid message of its type. */
export interface MalformedMessage {
  /** The request's message type, e.g. ModelInferRequest. */
  readonly messageType: string;
  /** What is wrong with the bytes, and where. */
  readonly malformed: string;
}

export function isMalformed(message: unknown): message is MalformedMessage {
  return typeof message === 'object' && message !== null && Object.hasOwn(message, 'malformed');
}

/**
 * The inference service's definition, loaded from the .proto at start. Bytes
 * that are not a valid request message reach the handler as a
 * MalformedMessage: grpc-js would otherwise answer INTERNAL for what is the
 * client's mistake. Every request is checked against the wire format first,
 * strictly (see wire-format-check.ts): protobufjs alone decodes some
 * truncated or corrupted messages into a request that then runs.
 */
export function loadInferenceService(): ServiceDefinition {
  const definitions = loadSync(PROTO_FILE, LOADER_OPTIONS);
  const service = definitions[INFERENCE_SERVICE_NAME] as Record<string, MethodDefinition<object, object>>;
  return Object.fromEntries(
    Object.entries(service).map(([method, spec]) => {
      const schema = wireSchemaOf(spec.requestType, definitions);
      const malformed = (problem: string): MalformedMessage => ({ messageType: schema.name, malformed: problem });
      return [
        method,
        {
          ...spec,
          requestDeserialize: (bytes: Buffer): unknown => {
            const problem = wireFormatProblem(bytes, schema);
            if (problem !== undefined) return malformed(problem);
            try {
              return spec.requestDeserialize(bytes);
            } catch (error) {
              return malformed((error as Error).message);
            }
          },
        },
      ];
    }),
  ) as ServiceDefinition;
}
