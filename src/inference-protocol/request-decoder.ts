import { DomainError, InvalidInputError } from '../common/errors/domain-error';
import type { LoadedModel } from '../inference/engine-contracts';
import { elementCount, type TensorMap, type TensorSpec } from '../inference/tensors';
import type { ReadyVersion } from '../model-registry/model-version';
import { quoted } from '../common/errors/quoted';
import { decodeBinaryTensor, sliceBinaryInputs } from './binary-codec';
import { fromV2DataType, toV2DataType } from './datatypes';
import type { V2InferenceRequestDto, V2RequestInputDto } from './dto/inference.dto';
import { decodeJsonTensor } from './json-tensors';

/** What decoding checks a request against: a ReadyVersion, or in specs the same without a loaded model. */
export type VersionSignature = Pick<ReadyVersion, 'name' | 'version'> & {
  readonly model: Pick<LoadedModel, 'inputs' | 'outputs'>;
};

export interface RequestedOutput {
  readonly name: string;
  readonly binary: boolean;
}

/** One /v2 inference request, checked against the model and ready to run. */
export interface DecodedInferenceRequest {
  /** Echoed in the response. */
  readonly id: string | undefined;
  readonly feeds: TensorMap;
  /** Which outputs to return, in which order, and which of them as binary data. */
  readonly outputs: readonly RequestedOutput[];
  /** The same outputs' names: what the model computes, in that order. */
  readonly outputNames: readonly string[];
}

/**
 * Turns a validated inference request and the binary data after its JSON
 * header into the tensors to run and the outputs to answer. The checks run in
 * a fixed order and the first that fails is the error a client gets: binary
 * sizes, unsupported extensions, requested outputs, then the inputs.
 */
export function decodeInferenceRequest(
  ready: VersionSignature,
  request: V2InferenceRequestDto,
  binary: Buffer,
): DecodedInferenceRequest {
  return decodeInferenceInputs(ready, request, sliceBinaryInputs(request.inputs, binary));
}

/**
 * The same, for a request whose binary data is already one buffer per input
 * (undefined for inputs with JSON data): gRPC's raw_input_contents.
 */
export function decodeInferenceInputs(
  ready: VersionSignature,
  request: V2InferenceRequestDto,
  binaryInputs: readonly (Buffer | undefined)[],
): DecodedInferenceRequest {
  rejectUnsupportedExtensions(request);
  const outputs = requestedOutputs(ready, request);
  const feeds = decodeInputs(ready, request.inputs, binaryInputs);
  return { id: request.id, feeds, outputs, outputNames: outputs.map((output) => output.name) };
}

/** Triton extensions this server does not offer; ignoring them would silently return something else than asked. */
function rejectUnsupportedExtensions(request: V2InferenceRequestDto): void {
  const problems: string[] = [];
  for (const tensor of [...request.inputs, ...(request.outputs ?? [])]) {
    if (tensor.parameters?.shared_memory_region !== undefined) {
      problems.push(`${quoted(tensor.name)}: the shared memory extension is not supported; send the data in the request`);
    }
  }
  for (const output of request.outputs ?? []) {
    if (output.parameters?.classification !== undefined) {
      problems.push(`output ${quoted(output.name)}: the classification extension is not supported`);
    }
  }
  if (problems.length) throw new InvalidInputError(problems);
}

function requestedOutputs(ready: VersionSignature, request: V2InferenceRequestDto): RequestedOutput[] {
  const problems: string[] = [];
  const binaryDefault = request.parameters?.binary_data_output;
  if (binaryDefault !== undefined && typeof binaryDefault !== 'boolean') {
    problems.push(`parameters.binary_data_output must be true or false, got ${JSON.stringify(binaryDefault)}`);
  }
  const modelOutputs = ready.model.outputs.map((output) => output.name);
  if (!request.outputs) {
    if (problems.length) throw new InvalidInputError(problems);
    return modelOutputs.map((name) => ({ name, binary: binaryDefault === true }));
  }
  const seen = new Set<string>();
  const unknown: string[] = [];
  const outputs = request.outputs.map((output) => {
    if (seen.has(output.name)) problems.push(`output ${quoted(output.name)} is requested more than once`);
    seen.add(output.name);
    if (!modelOutputs.includes(output.name)) unknown.push(quoted(output.name));
    const binary = output.parameters?.binary_data;
    if (binary !== undefined && typeof binary !== 'boolean') {
      problems.push(`output ${quoted(output.name)}: parameters.binary_data must be true or false, got ${JSON.stringify(binary)}`);
    }
    return { name: output.name, binary: typeof binary === 'boolean' ? binary : binaryDefault === true };
  });
  if (unknown.length) {
    problems.push(
      `unknown output${unknown.length > 1 ? 's' : ''} ${listed(unknown)}; model "${ready.name}" version ${ready.version} has outputs: ${listed(modelOutputs)}`,
    );
  }
  if (problems.length) throw new InvalidInputError(problems);
  return outputs;
}

/**
 * Checks every input against the model (names, datatype, rank, fixed
 * dimensions, element count, where its data is) before decoding any data,
 * then decodes the data, so nothing reaches onnxruntime that does not fit.
 */
function decodeInputs(
  ready: VersionSignature,
  inputs: readonly V2RequestInputDto[],
  binary: readonly (Buffer | undefined)[],
): TensorMap {
  const specs = new Map(ready.model.inputs.map((spec) => [spec.name, spec]));
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    if (seen.has(input.name)) problems.push(`input ${quoted(input.name)} is given more than once`);
    seen.add(input.name);
  }
  const unknown = inputs.filter((input) => !specs.has(input.name)).map((input) => quoted(input.name));
  const missing = [...specs.keys()].filter((name) => !seen.has(name)).map((name) => JSON.stringify(name));
  const modelInputs = `model "${ready.name}" version ${ready.version} has inputs: ${listed([...specs.keys()])}`;
  if (unknown.length) problems.push(`unknown input${unknown.length > 1 ? 's' : ''} ${listed(unknown)}`);
  if (missing.length) problems.push(`missing input${missing.length > 1 ? 's' : ''} ${listed(missing)}`);
  if (unknown.length || missing.length) problems[problems.length - 1] += `; ${modelInputs}`;
  if (problems.length) throw new InvalidInputError(problems);

  inputs.forEach((input, i) => problems.push(...checkAgainstSpec(input, specs.get(input.name)!, binary[i] !== undefined)));
  if (problems.length) throw new InvalidInputError(problems);

  const feeds: TensorMap = {};
  inputs.forEach((input, i) => {
    const type = fromV2DataType(input.datatype);
    const bytes = binary[i];
    if (bytes) {
      try {
        feeds[input.name] = { type, dims: input.shape, data: decodeBinaryTensor(input.name, type, input.shape, bytes) };
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        problems.push(error.message);
      }
      return;
    }
    const decoded = decodeJsonTensor(input.name, type, input.shape, input.data);
    if (decoded.data) feeds[input.name] = { type, dims: input.shape, data: decoded.data };
    else problems.push(...decoded.problems);
  });
  if (problems.length) throw new InvalidInputError(problems);
  return feeds;
}

function checkAgainstSpec(input: V2RequestInputDto, spec: TensorSpec, isBinary: boolean): string[] {
  const problems: string[] = [];
  const name = quoted(input.name);
  const expected = spec.type ? toV2DataType(spec.type) : 'an unsupported datatype';
  if (input.datatype !== expected) problems.push(`input ${name} has datatype ${input.datatype}, but the model expects ${expected}`);
  const fits =
    input.shape.length === spec.dims.length && spec.dims.every((dim, i) => dim === null || dim === input.shape[i]);
  if (!fits) {
    problems.push(
      `input ${name} has shape [${input.shape.join(', ')}], but the model expects [${spec.dims.map((dim) => dim ?? -1).join(', ')}] (-1: any size)`,
    );
  }
  if (!Number.isSafeInteger(elementCount(input.shape))) {
    problems.push(`input ${name}: shape [${input.shape.join(', ')}] has too many elements`);
  }
  if (isBinary && input.data !== undefined) {
    problems.push(`input ${name} has both "data" and parameters.binary_data_size; send one of them`);
  }
  if (!isBinary && input.data === undefined) {
    problems.push(`input ${name} has no "data" (and no parameters.binary_data_size for binary data)`);
  }
  return problems;
}

/** Names in a message, at most ten of them: a request naming a thousand unknown outputs gets a short answer. */
function listed(names: readonly string[], max = 10): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} (and ${names.length - max} more)` : shown;
}
