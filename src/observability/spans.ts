import type { RequestContext, RequestTrace } from '../request-context/request-context';

/** The caller (PREDICT_AUTH) as a server span names it: OpenTelemetry's enduser.id, the key id or the token's sub. */
export function callerAttributes(context: RequestContext): Record<string, string> {
  return context.caller ? { 'enduser.id': context.caller.id } : {};
}

/** A request's server span (HTTP request or gRPC call), parent of its queue and inference spans. */
export interface ServerSpan extends RequestTrace {
  readonly traceId: string;
  /**
   * Ends the span with the answer's attributes; `failed` marks it an error (5xx, a server-side gRPC
   * code). `model` and `version` name the version that answered when the runner did not (a refusal
   * after the version was resolved, model metadata).
   */
  end(attributes: Readonly<Record<string, string | number>>, failed: boolean, model?: string, version?: number): void;
}

/** What starts spans; exists only when tracing is on (tracing-sdk.ts, the one place that loads OpenTelemetry). */
export interface SpanStarter {
  /** A server span for an HTTP request, child of the caller's span when its headers carry one. */
  httpRequest(method: string, route: string | undefined, path: string, requestId: string, headers: Readonly<Record<string, unknown>>): ServerSpan;
  /** A server span for a gRPC call; `metadata` reads the call's metadata (traceparent, tracestate). */
  grpcCall(service: string, method: string, requestId: string, metadata: (key: string) => string | undefined): ServerSpan;
  /** Exports what is buffered and stops, within `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<void>;
}
