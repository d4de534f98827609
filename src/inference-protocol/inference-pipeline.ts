import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error';
import { AppConfig } from '../config/app-config';
import type { TensorMap } from '../inference/tensors';
import { ModelRegistry } from '../model-registry/model-registry.service';
import type { ReadyVersion } from '../model-registry/model-version';
import type { VersionSelector } from '../model-registry/requested-version';
import { deadlineOf } from '../request-context/deadline';
import type { RequestContext } from '../request-context/request-context';
import { ModelRunner } from '../serving/model-runner';
import type { PathVersion } from '../serving/path-version.pipe';
import type { V2InferenceRequestDto } from './dto/inference.dto';
import type { V2ModelMetadataDto } from './dto/metadata.dto';
import { mapModelMetadata } from './model-metadata';
import { decodeInferenceInputs, type DecodedInferenceRequest } from './request-decoder';

/**
 * The version a request asks for. A version in the path (REST's `.../versions/{v}`) wins: the routes that
 * have one never read the version headers, not even to refuse a malformed one. Without one, what the
 * X-Model-Version and X-Request-Key headers (gRPC: the version field and metadata) select: a number, a
 * label, or the model's default, canary split included.
 */
export type VersionChoice = PathVersion | VersionSelector;

/** A request as a transport reads it: the protocol's JSON request, its structure checked, and each input's raw bytes. */
export interface InferenceParts {
  readonly request: V2InferenceRequestDto;
  /** Per input, in input order: its raw bytes, or undefined when its data is in `request` as values. */
  readonly binaryInputs: readonly (Buffer | undefined)[];
}

/**
 * One transport's messages in the pipeline's terms: REST's JSON body (or JSON header then binary tensors)
 * and its JSON or binary answer; gRPC's ModelInferRequest and ModelInferResponse.
 */
export interface InferenceWireFormat<Message, Answer> {
  /** The request in the protocol's terms; what only this format can get wrong is refused here, before the model is asked. */
  read(message: Message): InferenceParts;
  /** The answer: the requested outputs in the order requested, with the version that served. */
  write(ready: ReadyVersion, request: DecodedInferenceRequest, outputs: TensorMap): Answer;
}

/**
 * The Open Inference Protocol over the model registry, one for REST and gRPC: a transport only turns its
 * wire format into the pipeline's input (InferenceWireFormat) and its result into the transport's answer.
 * An inference is `resolve`, then `infer`: the deadline, read (the transport's decoding and structural
 * checks), the checks against the model and decoding, the run, then the encoding.
 * Model metadata and model readiness are answered here too, the same for both.
 */
@Injectable()
export class InferencePipeline {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly runner: ModelRunner,
    private readonly config: AppConfig,
  ) {}

  /** The READY version that serves a request, never loading one (a malformed choice was refused when it was read; unknown or not READY is refused here). */
  resolve(name: string, version: VersionChoice): ReadyVersion {
    return this.registry.resolve(name, selectorOf(version));
  }

  /**
   * The version that serves an inference or a metadata request: at once when READY; in lazy mode one not
   * loaded yet is loaded first, waited for no longer than the request's deadline (the earlier of
   * QUEUE_TIMEOUT_MS and the caller's own, as `infer` sets it).
   */
  acquire(name: string, version: VersionChoice, callerDeadline?: number): ReadyVersion | Promise<ReadyVersion> {
    return this.registry.acquire(name, selectorOf(version), deadlineOf(this.config.QUEUE_TIMEOUT_MS, callerDeadline));
  }

  /** Model readiness: unknown, loading, not loaded (AVAILABLE, not loaded by asking) or not READY is just "not ready"; anything else is the client's mistake (thrown). */
  isModelReady(name: string, version: VersionChoice): boolean {
    try {
      this.resolve(name, version);
      return true;
    } catch (error) {
      if (error instanceof DomainError && NOT_READY_CODES.has(error.code)) return false;
      throw error;
    }
  }

  /** A version's model metadata; the request's records (log line, metrics, trace) name the version, and its answer a deprecation. */
  metadata(ready: ReadyVersion, context: RequestContext): V2ModelMetadataDto {
    context.resolved(ready.name, ready.version, ready.deprecation?.notice);
    return mapModelMetadata(ready, this.registry.get(ready.name));
  }

  /**
   * One inference on a resolved version, counted in the model metrics (ModelRunner.track): queued no
   * longer than the earlier of QUEUE_TIMEOUT_MS and the caller's own deadline (epoch ms; REST's
   * X-Request-Timeout-Ms, gRPC's call deadline), then read, checked against the model and decoded (the
   * first failed check is the client's error), run, and written in the transport's format.
   */
  infer<Message, Answer>(
    ready: ReadyVersion,
    format: InferenceWireFormat<Message, Answer>,
    message: Message,
    callerDeadline: number | undefined,
    context: RequestContext,
  ): Promise<Answer> {
    context.deadline = deadlineOf(this.config.QUEUE_TIMEOUT_MS, callerDeadline);
    return this.runner.track(
      ready,
      async () => {
        const { request, binaryInputs } = format.read(message);
        const decoded = decodeInferenceInputs(ready, request, binaryInputs);
        return format.write(ready, decoded, await this.run(ready, decoded, context));
      },
      context,
    );
  }

  /** Runs a decoded request; a failure its inputs caused is the client's. */
  private run(ready: ReadyVersion, request: DecodedInferenceRequest, context: RequestContext): Promise<TensorMap> {
    return this.runner.run(ready, request.feeds, request.outputNames, context).catch(blameInputs);
  }
}

function selectorOf(version: VersionChoice): VersionSelector {
  return 'kind' in version ? version : { kind: 'number', version: version.number };
}

/** Refusals that mean "not ready" to the model-ready route and method, not an error. */
const NOT_READY_CODES: ReadonlySet<string> = new Set(['MODEL_NOT_FOUND', 'VERSION_NOT_AVAILABLE', 'MODEL_LOADING']);

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
