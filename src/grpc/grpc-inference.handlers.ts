import { Inject, Injectable } from '@nestjs/common';
import { Metadata, status as Status, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { DomainError } from '../common/errors/domain-error';
import { CACHE_HEADER, MODEL_VERSION_HEADER, REQUEST_ID_HEADER, REQUEST_KEY_HEADER } from '../common/http/http-headers';
import { AppConfig } from '../config/app-config';
import { Probes } from '../health/probes';
import { serverMetadata } from '../inference-protocol/server-metadata';
import { InferenceProtocolService, type VersionHeaders } from '../inference-protocol/inference-protocol.service';
import { decodeInferenceInputs } from '../inference-protocol/request-decoder';
import { validateInferenceRequest } from '../inference-protocol/request-validation';
import { PINO_LOGGER } from '../observability/logger';
import { MetricsService } from '../observability/metrics.service';
import { acceptedRequestId } from '../observability/request-id';
import { TRACEPARENT_HEADER, traceIdOfTraceparent } from '../observability/w3c-trace-context';
import { Tracing } from '../observability/tracing';
import { RequestContext } from '../request-context/request-context';
import { ModelRunner } from '../serving/model-runner';
import { deadlineOf } from '../request-context/deadline';
import { GrpcCallRecords } from './grpc-call-records';
import { INFERENCE_SERVICE_NAME, isMalformed, type ModelInferRequest, type ModelInferResponse } from './grpc-definitions';
import { fromGrpcInferRequest } from './grpc-request';
import { toGrpcInferResponse } from './grpc-response';
import { GRPC_SERVER_ERROR_CODES, toGrpcError } from './grpc-status';

interface NamedVersion {
  readonly name: string;
  readonly version: string;
}

type Handler<Request, Response> = (request: Request, context: RequestContext, call: ServerUnaryCall<unknown, unknown>) => Promise<Response> | Response;

/**
 * The Open Inference Protocol's gRPC methods over the same registry, version
 * choice, batcher, workers and metrics as /v2 REST: every answer here is the
 * one the matching REST route gives, in gRPC's terms.
 */
@Injectable()
export class GrpcInferenceHandlers {
  private readonly records: GrpcCallRecords;

  constructor(
    private readonly protocol: InferenceProtocolService,
    private readonly runner: ModelRunner,
    private readonly probes: Probes,
    private readonly config: AppConfig,
    private readonly tracing: Tracing,
    metrics: MetricsService,
    @Inject(PINO_LOGGER) logger: Logger,
  ) {
    this.records = new GrpcCallRecords(metrics.registry, logger, INFERENCE_SERVICE_NAME);
  }

  /** The implementation grpc-js serves: each method wrapped with error mapping, logging and metrics. */
  implementation(): UntypedServiceImplementation {
    return {
      ServerLive: this.unary('ServerLive', async () => ({ live: (await this.probes.notLiveBecause()) === undefined })),
      ServerReady: this.unary('ServerReady', async () => ({ ready: (await this.probes.notReadyBecause()) === undefined })),
      ServerMetadata: this.unary('ServerMetadata', serverMetadata),
      ModelReady: this.unary('ModelReady', (request: NamedVersion, _context, call) => ({
        ready: this.protocol.isModelReady(request.name, undefined, versionOf(request.version, 'version', call.metadata)),
      })),
      ModelMetadata: this.unary('ModelMetadata', (request: NamedVersion, context, call) => {
        const ready = this.protocol.resolve(request.name, undefined, versionOf(request.version, 'version', call.metadata));
        context.resolved(ready.name, ready.version);
        return this.protocol.modelMetadata(ready);
      }),
      ModelInfer: this.unary('ModelInfer', (request: ModelInferRequest, context, call) => this.infer(request, context, call)),
    };
  }

  private async infer(request: ModelInferRequest, context: RequestContext, call: ServerUnaryCall<unknown, unknown>): Promise<ModelInferResponse> {
    // The call's own deadline (Infinity when it has none) bounds the queue like REST's X-Request-Timeout-Ms.
    context.deadline = deadlineOf(this.config.QUEUE_TIMEOUT_MS, Number(call.getDeadline()));
    const ready = this.protocol.resolve(request.model_name, undefined, versionOf(request.model_version, 'model_version', call.metadata));
    return this.runner.track(
      ready,
      async () => {
        const { header, binaryInputs } = fromGrpcInferRequest(request);
        const decoded = decodeInferenceInputs(ready, validateInferenceRequest(header), binaryInputs);
        const results = await this.protocol.run(ready, decoded, context);
        return toGrpcInferResponse(ready, decoded, results);
      },
      context,
    );
  }

  private unary<Request, Response>(method: string, handler: Handler<Request, Response>) {
    return (call: ServerUnaryCall<Request | unknown, Response>, callback: sendUnaryData<Response>): void => {
      const started = performance.now();
      const requestId = acceptedRequestId(firstValue(call.metadata, REQUEST_ID_HEADER));
      const context = new RequestContext(requestId, 'grpc', method, INFERENCE_SERVICE_NAME, call.getPath(), () => call.cancelled);
      context.handler = method;
      const trace = this.tracing.spans && !UNTRACED_METHODS.has(method)
        ? this.tracing.spans.grpcCall(INFERENCE_SERVICE_NAME, method, requestId, (key) => firstValue(call.metadata, key))
        : undefined;
      context.trace = trace;
      context.traceId = trace?.traceId ?? traceIdOfTraceparent(firstValue(call.metadata, TRACEPARENT_HEADER));
      const finish = (code: Status, error?: ReturnType<typeof toGrpcError>, response?: Response): void => {
        this.records.record(code, performance.now() - started, context, call.getPeer());
        trace?.end({ 'rpc.grpc.status_code': code }, GRPC_SERVER_ERROR_CODES.has(code), context.model, context.version);
        if (error) callback(error);
        else callback(null, response, trailerOf(context));
      };
      let pending: Promise<Response> | Response;
      try {
        if (isMalformed(call.request)) {
          throw new DomainError('BAD_REQUEST', `the request is not a valid ${call.request.messageType} message: ${call.request.malformed}`);
        }
        pending = handler(call.request as Request, context, call as ServerUnaryCall<unknown, unknown>);
      } catch (error) {
        pending = Promise.reject(error);
      }
      Promise.resolve(pending).then(
        (response) => finish(Status.OK, undefined, response),
        (error: unknown) => {
          const grpcError = toGrpcError(error);
          if (grpcError.code === Status.INTERNAL) this.records.fault(method, error);
          finish(grpcError.code, grpcError);
        },
      );
    };
  }
}

/** The liveness and readiness probes, untraced as REST's health routes are: platform traffic, not requests. */
const UNTRACED_METHODS: ReadonlySet<string> = new Set(['ServerLive', 'ServerReady']);

/** The version field, or when empty the same metadata as REST's headers (X-Model-Version, X-Request-Key for the canary split). */
function versionOf(field: string, fieldName: string, metadata: Metadata): VersionHeaders {
  const fromField = field !== '';
  return {
    version: fromField ? field : firstValue(metadata, MODEL_VERSION_HEADER),
    requestKey: firstValue(metadata, REQUEST_KEY_HEADER),
    sources: {
      version: fromField ? `the ${fieldName} field` : `the ${MODEL_VERSION_HEADER} metadata`,
      requestKey: `the ${REQUEST_KEY_HEADER} metadata`,
    },
  };
}

/** The response cache's verdict (x-cache: HIT or MISS) as trailing metadata, for models with a cache. */
function trailerOf(context: RequestContext): Metadata | undefined {
  const cache = context.cache;
  if (cache === undefined) return undefined;
  const trailer = new Metadata();
  trailer.set(CACHE_HEADER, cache.toUpperCase());
  return trailer;
}

function firstValue(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}
