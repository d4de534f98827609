import { Injectable } from '@nestjs/common';
import { DomainError, InvalidInputError } from '../common/domain-error';
import type { JsonLimits } from '../common/json-limits';
import { AppConfig, jsonLimitsOf } from '../config/app-config';
import type { RunOptions } from '../inference/inference-engine';
import { elementCount, type TensorMap, type TensorSpec } from '../inference/tensors';
import { ModelRegistry } from '../model-registry/model-registry.service';
import { VERSION_PATTERN } from '../model-registry/model-store';
import type { ReadyVersion } from '../model-registry/model-version';
import { parseVersionSelector, type VersionSelector } from '../model-registry/version-selector';
import { ModelRunner } from '../serving/model-runner';
import {
  decodeBinaryTensor,
  encodeBinaryTensor,
  encodeInferenceBody,
  quote,
  readInferenceBody,
  sliceBinaryInputs,
  type EncodedBody,
} from './binary-codec';
import { fromV2DataType, toV2DataType } from './datatypes';
import { V2InferenceRequestDto, type V2RequestInputDto, type V2ResponseOutputDto } from './dto/inference.dto';
import type { V2ModelMetadataDto, V2TensorMetadataDto } from './dto/metadata.dto';
import { decodeJsonTensor, jsonData, stringifyJson } from './json-tensors';
import { validateInferenceRequest } from './request-validation';

/** What the protocol's model metadata calls the framework serving a model. */
export const PLATFORM = 'onnxruntime_onnx';

interface RequestedOutput {
  readonly name: string;
  readonly binary: boolean;
}

/**
 * The Open Inference Protocol (KServe V2) over the shared model registry:
 * version resolution, model metadata, and inference with JSON or binary tensors.
 */
@Injectable()
export class InferenceProtocolService {
  private readonly jsonLimits: JsonLimits;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly runner: ModelRunner,
    config: AppConfig,
  ) {
    this.jsonLimits = jsonLimitsOf(config);
  }

  /**
   * The version serving a request: the version in the path wins, else the
   * X-Model-Version header (number or label), else the model's default (or
   * its canary split, keyed by X-Request-Key), as on /v1.
   */
  resolve(name: string, pathVersion: string | undefined, headers: VersionHeaders): ReadyVersion {
    return this.registry.resolve(name, selectorFor(pathVersion, headers));
  }

  /** Model readiness: a malformed version is the client's mistake (thrown); unknown or not READY is just "not ready". */
  isModelReady(name: string, pathVersion: string | undefined, headers: VersionHeaders): boolean {
    const selector = selectorFor(pathVersion, headers);
    try {
      this.registry.resolve(name, selector);
      return true;
    } catch (error) {
      if (error instanceof DomainError && ['MODEL_NOT_FOUND', 'VERSION_NOT_AVAILABLE', 'MODEL_LOADING'].includes(error.code)) return false;
      throw error;
    }
  }

  modelMetadata(ready: ReadyVersion): V2ModelMetadataDto {
    const model = this.registry.get(ready.name);
    return {
      name: ready.name,
      versions: model.versions.filter((status) => status.state === 'READY').map((status) => String(status.version)),
      platform: PLATFORM,
      inputs: ready.model.inputs.map(tensorMetadata),
      outputs: ready.model.outputs.map(tensorMetadata),
    };
  }

  /**
   * One inference request, counted in the model metrics: parse (JSON or JSON
   * plus binary tensors), check everything against the model, run, encode.
   */
  infer(
    ready: ReadyVersion,
    body: unknown,
    headerLength: string | string[] | undefined,
    runOptions?: RunOptions,
  ): Promise<EncodedBody> {
    return this.runner.track(ready, async () => {
      const { header, binary } = readInferenceBody(body, headerLength, this.jsonLimits);
      const request = validateInferenceRequest(header);
      const binaryInputs = sliceBinaryInputs(request.inputs, binary);
      rejectUnsupportedExtensions(request);
      const outputs = requestedOutputs(ready, request);
      const feeds = decodeInputs(ready, request.inputs, binaryInputs);
      const outputNames = outputs.map((output) => output.name);
      const results = await this.runner.run(ready, feeds, outputNames, runOptions).catch(blameInputs);
      return encodeResponse(ready, request, outputs, results);
    });
  }
}

/**
 * A warmed-up model that fails on inputs which passed every check against its
 * declared datatypes and shapes fails because of those inputs (most often two
 * inputs whose dynamic dimensions disagree): a client error, not a server fault.
 */
function blameInputs(error: unknown): never {
  if (error instanceof DomainError && error.code === 'INFERENCE_FAILED') {
    throw new DomainError(
      'BAD_REQUEST',
      `${error.message.replace(/\s+/g, ' ').trim()} (the inputs fit the model's declared datatypes and shapes; check that their sizes agree with each other)`,
    );
  }
  throw error;
}

/** The request headers that take part in choosing a version when the path names none. */
export interface VersionHeaders {
  readonly version?: string | string[];
  readonly requestKey?: string | string[];
}

function selectorFor(pathVersion: string | undefined, headers: VersionHeaders): VersionSelector {
  if (pathVersion === undefined) return parseVersionSelector(headers.version, headers.requestKey);
  if (!VERSION_PATTERN.test(pathVersion)) {
    throw new DomainError(
      'BAD_REQUEST',
      `the version in the path must be a positive integer (e.g. /versions/1), got ${quote(pathVersion)}`,
    );
  }
  return { kind: 'number', version: Number(pathVersion) };
}

function tensorMetadata(spec: TensorSpec): V2TensorMetadataDto {
  return {
    name: spec.name,
    // Versions whose tensors have no supported datatype never become READY; the fallback only satisfies the type.
    datatype: spec.type ? toV2DataType(spec.type) : ('UNKNOWN' as never),
    shape: spec.dims.map((dim) => dim ?? -1),
  };
}

/** Triton extensions this server does not offer; ignoring them would silently return something else than asked. */
function rejectUnsupportedExtensions(request: V2InferenceRequestDto): void {
  const problems: string[] = [];
  for (const tensor of [...request.inputs, ...(request.outputs ?? [])]) {
    if (tensor.parameters?.shared_memory_region !== undefined) {
      problems.push(`${quote(tensor.name)}: the shared memory extension is not supported; send the data in the request`);
    }
  }
  for (const output of request.outputs ?? []) {
    if (output.parameters?.classification !== undefined) {
      problems.push(`output ${quote(output.name)}: the classification extension is not supported`);
    }
  }
  if (problems.length) throw new InvalidInputError(problems);
}

/** Which outputs to return, in which order, and which of them as binary data. */
function requestedOutputs(ready: ReadyVersion, request: V2InferenceRequestDto): RequestedOutput[] {
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
    if (seen.has(output.name)) problems.push(`output ${quote(output.name)} is requested more than once`);
    seen.add(output.name);
    if (!modelOutputs.includes(output.name)) unknown.push(quote(output.name));
    const binary = output.parameters?.binary_data;
    if (binary !== undefined && typeof binary !== 'boolean') {
      problems.push(`output ${quote(output.name)}: parameters.binary_data must be true or false, got ${JSON.stringify(binary)}`);
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
function decodeInputs(ready: ReadyVersion, inputs: readonly V2RequestInputDto[], binary: readonly (Buffer | undefined)[]): TensorMap {
  const specs = new Map(ready.model.inputs.map((spec) => [spec.name, spec]));
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    if (seen.has(input.name)) problems.push(`input ${quote(input.name)} is given more than once`);
    seen.add(input.name);
  }
  const unknown = inputs.filter((input) => !specs.has(input.name)).map((input) => quote(input.name));
  const missing = [...specs.keys()].filter((name) => !seen.has(name)).map((name) => JSON.stringify(name));
  const modelInputs = `model "${ready.name}" version ${ready.version} has inputs: ${listed([...specs.keys()])}`;
  if (unknown.length) problems.push(`unknown input${unknown.length > 1 ? 's' : ''} ${listed(unknown)}; ${modelInputs}`);
  if (missing.length) problems.push(`missing input${missing.length > 1 ? 's' : ''} ${listed(missing)}; ${modelInputs}`);
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
  const name = quote(input.name);
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

function encodeResponse(
  ready: ReadyVersion,
  request: V2InferenceRequestDto,
  outputs: readonly RequestedOutput[],
  results: TensorMap,
): EncodedBody {
  const binary: Buffer[] = [];
  const responseOutputs: V2ResponseOutputDto[] = outputs.map((output) => {
    const tensor = results[output.name];
    if (!tensor) throw new Error(`onnxruntime returned no tensor for output ${output.name}`);
    const described = { name: output.name, datatype: toV2DataType(tensor.type), shape: [...tensor.dims] };
    if (!output.binary) return { ...described, data: jsonData(tensor) as unknown[] };
    const bytes = encodeBinaryTensor(tensor);
    binary.push(bytes);
    return { ...described, parameters: { binary_data_size: bytes.length } };
  });
  const json = stringifyJson({
    model_name: ready.name,
    model_version: String(ready.version),
    id: request.id,
    outputs: responseOutputs,
  });
  return encodeInferenceBody(json, outputs.some((output) => output.binary) ? binary : undefined);
}

/** Names in a message, at most ten of them: a request naming a thousand unknown outputs gets a short answer. */
function listed(names: readonly string[], max = 10): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} (and ${names.length - max} more)` : shown;
}
