import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error';
import type { JsonLimits } from '../common/validation/json-limits';
import { AppConfig, jsonLimitsOf } from '../config/app-config';
import type { TensorMap, TensorSpec } from '../inference/tensors';
import { ModelRegistry } from '../model-registry/model-registry.service';
import type { ReadyVersion } from '../model-registry/model-version';
import { parseVersionSelector, type SelectorSources, type VersionSelector } from '../model-registry/requested-version';
import type { RequestContext } from '../request-context/request-context';
import { ModelRunner } from '../serving/model-runner';
import type { EncodedBody } from './binary-codec';
import { toV2DataType } from './datatypes';
import type { V2ModelMetadataDto, V2TensorMetadataDto } from './dto/metadata.dto';
import { decodeInferenceRequest, type DecodedInferenceRequest } from './request-decoder';
import { encodeInferenceResponse } from './response-encoder';
import { ValidatedHeaders } from './validated-headers';

/** What the protocol's model metadata calls the framework serving a model. */
export const PLATFORM = 'onnxruntime_onnx';

/**
 * The Open Inference Protocol (KServe V2) over the shared model registry:
 * version resolution, model metadata, and inference with JSON or binary tensors.
 */
@Injectable()
export class InferenceProtocolService {
  private readonly jsonLimits: JsonLimits;
  private readonly headers = new ValidatedHeaders();

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
  resolve(name: string, pathVersion: number | undefined, headers: VersionHeaders): ReadyVersion {
    return this.registry.resolve(name, selectorFor(pathVersion, headers));
  }

  /** Model readiness: a malformed version is the client's mistake (thrown); unknown or not READY is just "not ready". */
  isModelReady(name: string, pathVersion: number | undefined, headers: VersionHeaders): boolean {
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
    context: RequestContext,
  ): Promise<EncodedBody> {
    return this.runner.track(
      ready,
      async () => {
        const { request: header, binary } = this.headers.read(body, headerLength, this.jsonLimits);
        const request = decodeInferenceRequest(ready, header, binary);
        return encodeInferenceResponse(ready, request, await this.run(ready, request, context));
      },
      context,
    );
  }

  /** Runs a decoded request (from REST or gRPC); a failure its inputs caused is the client's. */
  run(ready: ReadyVersion, request: DecodedInferenceRequest, context: RequestContext): Promise<TensorMap> {
    return this.runner.run(ready, request.feeds, request.outputNames, context).catch(blameInputs);
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
  /** What messages call them, when they are not REST's headers (gRPC's fields and metadata). */
  readonly sources?: SelectorSources;
}

function selectorFor(pathVersion: number | undefined, headers: VersionHeaders): VersionSelector {
  return pathVersion === undefined ? parseVersionSelector(headers.version, headers.requestKey, headers.sources) : { kind: 'number', version: pathVersion };
}

function tensorMetadata(spec: TensorSpec): V2TensorMetadataDto {
  return {
    name: spec.name,
    // Versions whose tensors have no supported datatype never become READY; the fallback only satisfies the type.
    datatype: spec.type ? toV2DataType(spec.type) : ('UNKNOWN' as never),
    shape: spec.dims.map((dim) => dim ?? -1),
  };
}
