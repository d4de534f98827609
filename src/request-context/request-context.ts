import { HttpException } from '@nestjs/common';
import { DomainError, isRetryLater } from '../common/errors/domain-error';
import type { BatchedRun, RunOptions } from '../inference/engine-contracts';
import type { DeprecationNotice } from '../model-registry/version-deprecation';

/** How a request reached the server: HTTP (/v1 and /v2 REST) or gRPC (the Open Inference Protocol's gRPC half). */
export type Protocol = 'http' | 'grpc';

/** What became of a request a model version was resolved for, as logs, metrics and traces name it. */
export type Outcome = 'success' | 'invalid_input' | 'rejected' | 'error';

/**
 * The one outcome rule, for every protocol: no error is a success; a client
 * error (4xx) is invalid input; a refusal to retry later (queue full, deadline
 * passed, the client went away, model loading: 503 with Retry-After, or gRPC
 * RESOURCE_EXHAUSTED/UNAVAILABLE with a pushback) is rejected; anything else
 * is the service's fault.
 */
export function outcomeOf(error?: unknown): Outcome {
  if (error === undefined) return 'success';
  if (error instanceof DomainError) {
    if (error.status < 500) return 'invalid_input';
    return isRetryLater(error.code) ? 'rejected' : 'error';
  }
  if (error instanceof HttpException) return error.getStatus() < 500 ? 'invalid_input' : 'error';
  return 'error';
}

/**
 * One traced request, as the layers below the protocol see it (implemented in
 * observability/, which alone knows OpenTelemetry). Untraced requests have
 * none, so the runner and the batcher only check a property for them.
 */
export interface RequestTrace {
  /** The version that serves the request, and the response cache's verdict for models with one. */
  served(model: string, version: number, cache: 'hit' | 'miss' | undefined): void;
  /** The request left the batcher's queue: run in a batch, or dropped before it could run. */
  batched(run: BatchedRun): void;
  /** W3C headers (traceparent, tracestate) naming the request's span as parent, for calls made on its behalf. */
  headers(): Record<string, string>;
}

/**
 * Who sent a request, once PREDICT_AUTH verified its credential (auth/): named in every record (log
 * line, trace, prediction log) and asked by the handlers that list models.
 */
export interface RequestCaller {
  /** The API key's id, or the JWT's `sub`: never the credential itself. */
  readonly id: string;
  /** Whether the caller may use this model. */
  mayUse(model: string): boolean;
}

/** Writes a request's records (log line, metrics) once its answer has gone out. */
export interface RequestRecorder {
  record(context: RequestContext, statusCode: number, durationMs: number): void;
}

/**
 * Everything known about one request, HTTP or gRPC alike, from its arrival to
 * its answer: created by the protocol's first hook, filled in by the handlers
 * (the version they resolved, the deadline), the runner (outcome, cache
 * verdict) and the batcher (queue wait and inference time), and read by
 * every record: the log line, metrics, the trace, the prediction log and the
 * gRPC call records. A plain object with fields rather than getters: it is
 * made for every request, and its reads are on the hot path.
 */
export class RequestContext implements RunOptions {
  /** The version that serves the request, once resolved. */
  model: string | undefined = undefined;
  version: number | undefined = undefined;
  /** Set when the request ran as a prediction (the runner's verdict), else undefined. */
  outcome: Outcome | undefined = undefined;
  /** For models with a response cache: whether this answer came from it. */
  cache: 'hit' | 'miss' | undefined = undefined;
  /** When the version that serves is deprecated: what its answer says about it (Deprecation, Sunset, Link). */
  deprecation: DeprecationNotice | undefined = undefined;
  /** Epoch ms after which the caller no longer wants the answer: queued work past it is dropped. */
  deadline: number | undefined = undefined;
  /**
   * The W3C trace id: the request's span's when tracing is on, else the caller's `traceparent`'s when
   * it sent a valid one (so logs and prediction records still join the caller's trace).
   */
  traceId: string | undefined = undefined;
  /** The request's span, only when tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT). */
  trace: RequestTrace | undefined = undefined;
  /** The verified caller, when PREDICT_AUTH is on and the request's credential was accepted. */
  caller: RequestCaller | undefined = undefined;
  /** `Controller.handler` once a Nest handler takes the request (HTTP), or the gRPC method. */
  handler: string | undefined = undefined;
  /** How long the request waited in the batcher's queue and how long its batch ran, in ms. */
  queueMs: number | undefined = undefined;
  inferenceMs: number | undefined = undefined;
  private recorders: RequestRecorder[] | undefined = undefined;

  constructor(
    readonly requestId: string,
    readonly protocol: Protocol,
    /** The HTTP method, or the gRPC method's name (ModelInfer). */
    readonly method: string,
    /** The route template, or the gRPC service: a bounded label, never the raw URL. */
    readonly route: string,
    /** The URL as the client sent it (HTTP), or the gRPC method's path. */
    readonly url: string,
    /** True once the caller has gone (client disconnected, call cancelled). */
    readonly cancelled: () => boolean,
  ) {}

  /** The version that serves this request, and its deprecation notice when it is deprecated. */
  resolved(model: string, version: number, deprecation?: DeprecationNotice): void {
    this.model = model;
    this.version = version;
    this.deprecation = deprecation;
  }

  /** Called by the batcher for each request leaving its queue. */
  batched(run: BatchedRun): void {
    this.queueMs = run.startedAt - run.enqueuedAt;
    if (run.finishedAt !== undefined) this.inferenceMs = run.finishedAt - run.startedAt;
    this.trace?.batched(run);
  }

  /** The records to write once the answer has gone out (the interceptors register theirs). */
  recordBy(recorder: RequestRecorder): void {
    (this.recorders ??= []).push(recorder);
  }

  /** Whether some recorder took this request (a handler was reached), so the transport's fallback must not. */
  get recorded(): boolean {
    return this.recorders !== undefined;
  }

  /** The answer has gone out: each registered recorder writes its records. */
  finish(statusCode: number, durationMs: number): void {
    const recorders = this.recorders;
    if (recorders === undefined) return;
    for (let i = 0; i < recorders.length; i++) recorders[i].record(this, statusCode, durationMs);
  }
}
