import { InvalidInputError } from '../common/errors/domain-error';
import { quoted } from '../common/errors/quoted';
import { serializeBytesTensor } from '../inference-protocol/binary-codec';
import { int64ShapeProblem } from '../inference-protocol/tensor-shape';
import type { InferInputTensor, ModelInferRequest, Parameters, TensorContents } from './grpc-definitions';

/** A ModelInferRequest in the terms /v2's decoder checks: the JSON request's shape, and each input's raw bytes. */
export interface InferRequestParts {
  /** The request as /v2's JSON would carry it (validated next, by the same rules). */
  readonly header: {
    id?: string;
    parameters?: Record<string, ParameterValue>;
    inputs: { name: string; datatype: string; shape: number[]; parameters?: Record<string, ParameterValue>; data?: unknown[] }[];
    outputs?: { name: string; parameters?: Record<string, ParameterValue> }[];
  };
  /** Per input, in input order: its raw bytes, or undefined when its data is in `header` as typed values. */
  readonly binaryInputs: (Buffer | undefined)[];
}

type ParameterValue = string | number | boolean;

/** Which InferTensorContents field carries each datatype (FP16 has none: raw only). */
const CONTENTS_FIELD: Readonly<Record<string, keyof TensorContents>> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

/**
 * Turns a decoded ModelInferRequest into what /v2's decoder takes, so both
 * protocols check inputs against the model with the same rules and messages.
 * What only gRPC can get wrong is refused here: raw contents that do not pair
 * one-to-one with the inputs, raw and typed contents mixed, typed values in
 * the field of another datatype.
 */
export function fromGrpcInferRequest(message: ModelInferRequest): InferRequestParts {
  const raw = message.raw_input_contents;
  const problems: string[] = [];
  if (message.inputs.length === 0) problems.push('the request has no inputs');
  if (raw.length > 0 && raw.length !== message.inputs.length) {
    problems.push(
      `raw_input_contents has ${raw.length} entries, but the request has ${message.inputs.length} inputs; send one entry per input, in input order`,
    );
  }
  if (problems.length) throw new InvalidInputError(problems);

  const binaryInputs: (Buffer | undefined)[] = [];
  const inputs = message.inputs.map((input, i) => {
    // Checked here, on the exact int64 text: as numbers, dimensions above 2^53 would be rounded before any message names them.
    const shapeProblem = int64ShapeProblem(input.shape);
    if (shapeProblem) problems.push(`inputs[${i}].shape: ${shapeProblem}`);
    const typed = typedContents(input, raw.length > 0, problems);
    binaryInputs.push(raw.length > 0 ? raw[i] : typed.bytes);
    return {
      name: input.name,
      datatype: input.datatype,
      shape: input.shape.map(Number),
      ...parametersOf(input.parameters, `input ${quoted(input.name)}`, problems),
      ...(typed.data ? { data: typed.data } : {}),
    };
  });
  const parameters = parametersOf(message.parameters, 'the request', problems);
  const outputs = message.outputs.map((output) => ({ name: output.name, ...parametersOf(output.parameters, `output ${quoted(output.name)}`, problems) }));
  if (problems.length) throw new InvalidInputError(problems);
  return {
    header: {
      ...(message.id ? { id: message.id } : {}),
      ...parameters,
      inputs,
      ...(outputs.length ? { outputs } : {}),
    },
    binaryInputs,
  };
}

/**
 * An input's typed values: as a JSON-like array (range-checked by the /v2
 * decoder), or for BYTES as the raw form (the values are bytes, not text).
 */
function typedContents(
  input: InferInputTensor,
  rawUsed: boolean,
  problems: string[],
): { data?: unknown[]; bytes?: Buffer } {
  const name = quoted(input.name);
  const filled = input.contents
    ? (Object.keys(CONTENTS_FIELD_NAMES) as (keyof TensorContents)[]).filter((field) => input.contents![field].length > 0)
    : [];
  if (rawUsed) {
    if (filled.length) problems.push(`input ${name} has contents, but raw_input_contents is used; send every input one way`);
    return {};
  }
  const field = CONTENTS_FIELD[input.datatype];
  if (!field) {
    // FP16 (and unknown datatypes, which the decoder names) have no typed field.
    if (input.datatype === 'FP16') problems.push(`input ${name}: FP16 data must be sent in raw_input_contents`);
    return { data: [] };
  }
  const wrong = filled.filter((other) => other !== field);
  if (wrong.length) {
    problems.push(`input ${name} has datatype ${input.datatype}, whose values go in contents.${field}, not contents.${wrong.join(', contents.')}`);
    return {};
  }
  const values = input.contents?.[field] ?? [];
  if (values.length === 0 && input.shape.every((dim) => dim !== '0')) {
    problems.push(`input ${name} has no data; send its values in contents.${field}, or every input's bytes in raw_input_contents`);
    return {};
  }
  // Bytes as they came: the decoder refuses what is not UTF-8 text for an ONNX string tensor, by element.
  if (field === 'bytes_contents') return { bytes: serializeBytesTensor(values as readonly Buffer[]) };
  return { data: values as unknown[] };
}

/** Every contents field, for finding those a request filled. */
const CONTENTS_FIELD_NAMES: Readonly<Record<keyof TensorContents, true>> = {
  bool_contents: true,
  int_contents: true,
  int64_contents: true,
  uint_contents: true,
  uint64_contents: true,
  fp32_contents: true,
  fp64_contents: true,
  bytes_contents: true,
};

/** Parameters as /v2's JSON carries them: the chosen value of each (64-bit integers as numbers). */
function parametersOf(parameters: Parameters, owner: string, problems: string[]): { parameters?: Record<string, ParameterValue> } {
  const entries = Object.entries(parameters);
  if (entries.length === 0) return {};
  const values: [string, ParameterValue][] = [];
  for (const [key, parameter] of entries) {
    const choice = parameter?.parameter_choice;
    const value = choice ? parameter[choice] : undefined;
    // A parameter without a value has no meaning (/v2's JSON cannot even say it): a map entry cut short looks like this.
    if (value === undefined || value === null) {
      problems.push(`${owner} has parameter ${quoted(key)} without a value; set one of ${PARAMETER_CHOICES.join(', ')}`);
      continue;
    }
    values.push([key, choice === 'int64_param' || choice === 'uint64_param' ? Number(value) : value]);
  }
  return { parameters: Object.fromEntries(values) };
}

const PARAMETER_CHOICES = ['bool_param', 'int64_param', 'string_param', 'double_param', 'uint64_param'] as const;
