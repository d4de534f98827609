import { Inject, Injectable } from '@nestjs/common';
import { Metadata, status as Status, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { Authenticator } from '../auth/authenticator';
import { API_KEY_HEADER, AUTHORIZATION_HEADER, type PresentedCredentials } from '../auth/credentials';
import { DomainError, ModelNotFoundError } from '../common/errors/domain-error';
import { CACHE_HEADER, MODEL_VERSION_HEADER, REQUEST_ID_HEADER, REQUEST_KEY_HEADER } from '../common/http/http-headers';
import { Probes } from '../health/probes';
import { InferencePipeline } from '../inference-protocol/inference-pipeline';
import { serverMetadata } from '../inference-protocol/server-metadata';
import { parseVersionSelector, type SelectorSources, type VersionSelector } from '../model-registry/requested-version';
import { PINO_LOGGER } from '../observability/logger';
import { MetricsService } from '../observability/metrics.service';
import { acceptedRequestId } from '../observability/request-id';
import { TRACEPARENT_HEADER, traceIdOfTraceparent } from '../observability/w3c-trace-context';
import { callerAttributes } from '../observability/spans';
import { Tracing } from '../observability/tracing';
import { RequestContext } from '../request-context/request-context';
import { GrpcCallRecords } from './grpc-call-records';
import { INFERENCE_SERVICE_NAME, isMalformed, type ModelInferRequest } from './grpc-definitions';
import { GRPC_SERVER_ERROR_CODES, httpStatusOf, toGrpcError } from './grpc-status';
import { GRPC_WIRE_FORMAT } from './grpc-wire-format';

interface NamedVersion {
  readonly name: string;
  readonly version: string;
}

type Handler<Request, Response> = (request: Request, context: RequestContext, call: ServerUnaryCall<unknown, unknown>) => Promise<Response> | Response;

/** The model a call of a model method is for; the server's own methods (live, ready, metadata) have none and are open. */
type ModelOf<Request> = (request: Request) => string;

/**
 * The Open Inference Protocol's gRPC methods over the pipeline /v2 REST uses
 * (version choice, checks, batcher, workers, metrics): every answer here is
 * the one the matching REST route gives, in gRPC's terms. What is gRPC's own
 * is here: the methods, the version in a field or the metadata, the call's
 * deadline, status codes, the cache verdict and a deprecation as trailing metadata, and each
 * call's records (log line, metrics, trace).
 */
@Injectable()
export class GrpcInferenceHandlers {
  private readonly records: GrpcCallRecords;

  constructor(
    private readonly pipeline: InferencePipeline,
    private readonly probes: Probes,
    private readonly tracing: Tracing,
    private readonly auth: Authenticator,
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
      ModelReady: this.unary(
        'ModelReady',
        (request: NamedVersion, _context, call) => ({
          ready: this.pipeline.isModelReady(request.name, selectorOf(request.version, VERSION_FIELD, call.metadata)),
        }),
        (request) => request.name,
      ),
      ModelMetadata: this.unary(
        'ModelMetadata',
        (request: NamedVersion, context, call) => {
          const acquired = this.pipeline.acquire(request.name, selectorOf(request.version, VERSION_FIELD, call.metadata));
          return acquired instanceof Promise
            ? acquired.then((ready) => this.pipeline.metadata(ready, context))
            : this.pipeline.metadata(acquired, context);
        },
        (request) => request.name,
      ),
      ModelInfer: this.unary(
        'ModelInfer',
        (request: ModelInferRequest, context, call) => {
          // The call's own deadline (Infinity when it has none) bounds the wait for a load and the queue, as REST's X-Request-Timeout-Ms does.
          const deadline = Number(call.getDeadline());
          const acquired = this.pipeline.acquire(request.model_name, selectorOf(request.model_version, MODEL_VERSION_FIELD, call.metadata), deadline);
          return acquired instanceof Promise
            ? acquired.then((ready) => this.pipeline.infer(ready, GRPC_WIRE_FORMAT, request, deadline, context))
            : this.pipeline.infer(acquired, GRPC_WIRE_FORMAT, request, deadline, context);
        },
        (request) => request.model_name,
      ),
    };
  }

  /** `modelOf`: a model method, admitted by PREDICT_AUTH (when on) for the model it names before `handler` runs. */
  private unary<Request, Response>(method: string, handler: Handler<Request, Response>, modelOf?: ModelOf<Request>) {
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
        const durationMs = performance.now() - started;
        this.records.record(code, durationMs, context, call.getPeer());
        trace?.end({ 'rpc.grpc.status_code': code, ...callerAttributes(context) }, GRPC_SERVER_ERROR_CODES.has(code), context.model, context.version);
        if (error) callback(error);
        else callback(null, response, trailerOf(context));
        // After the answer is handed to grpc-js: what waits for it (a shadow run) starts only now.
        context.finish(httpStatusOf(code), durationMs);
      };
      let pending: Promise<Response> | Response;
      try {
        if (isMalformed(call.request)) {
          throw new DomainError('BAD_REQUEST', `the request is not a valid ${call.request.messageType} message: ${call.request.malformed}`);
        }
        const request = call.request as Request;
        const unaryCall = call as ServerUnaryCall<unknown, unknown>;
        pending =
          modelOf === undefined || !this.auth.enabled
            ? handler(request, context, unaryCall)
            : this.auth.admit(presentedIn(call.metadata), modelOf(request), context).then(() => handler(request, context, unaryCall));
      } catch (error) {
        pending = Promise.reject(error);
      }
      Promise.resolve(pending).then(
        (response) => finish(Status.OK, undefined, response),
        (error: unknown) => {
          const grpcError = toGrpcError(inCallersView(error, context));
          if (grpcError.code === Status.INTERNAL) this.records.fault(method, error);
          finish(grpcError.code, grpcError);
        },
      );
    };
  }
}

/** The credentials a call presents, in the metadata REST's headers match: authorization (Bearer) or x-api-key. */
function presentedIn(metadata: Metadata): PresentedCredentials {
  return { authorization: firstValue(metadata, AUTHORIZATION_HEADER), apiKey: firstValue(metadata, API_KEY_HEADER) };
}

/** An unknown model's NOT_FOUND offers a caller with PREDICT_AUTH only the models it may use, as REST's does. */
function inCallersView(error: unknown, context: RequestContext): unknown {
  const caller = context.caller;
  return caller && error instanceof ModelNotFoundError ? error.offering((model) => caller.mayUse(model)) : error;
}

/** The liveness and readiness probes, untraced as REST's health routes are: platform traffic, not requests. */
const UNTRACED_METHODS: ReadonlySet<string> = new Set(['ServerLive', 'ServerReady']);

/** Where a version came from, for the messages that refuse one: a request's field, else the metadata that match REST's headers. */
const sourcesOfField = (field: string): SelectorSources => ({ version: `the ${field} field`, requestKey: `the ${REQUEST_KEY_HEADER} metadata` });
const VERSION_FIELD = sourcesOfField('version');
const MODEL_VERSION_FIELD = sourcesOfField('model_version');
const FROM_METADATA: SelectorSources = { version: `the ${MODEL_VERSION_HEADER} metadata`, requestKey: `the ${REQUEST_KEY_HEADER} metadata` };

/** The version field, or when empty the same metadata as REST's headers (X-Model-Version, X-Request-Key for the canary split). */
function selectorOf(field: string, fieldSources: SelectorSources, metadata: Metadata): VersionSelector {
  const fromField = field !== '';
  return parseVersionSelector(
    fromField ? field : firstValue(metadata, MODEL_VERSION_HEADER),
    firstValue(metadata, REQUEST_KEY_HEADER),
    fromField ? fieldSources : FROM_METADATA,
  );
}

/**
 * Trailing metadata under REST's header names: the response cache's verdict (x-cache: HIT or MISS) for
 * models with a cache, and a deprecated version's notice (deprecation, sunset, link).
 */
function trailerOf(context: RequestContext): Metadata | undefined {
  const { cache, deprecation } = context;
  if (cache === undefined && deprecation === undefined) return undefined;
  const trailer = new Metadata();
  if (cache !== undefined) trailer.set(CACHE_HEADER, cache.toUpperCase());
  if (deprecation !== undefined) for (const [name, value] of Object.entries(deprecation)) trailer.set(name, value);
  return trailer;
}

function firstValue(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}
