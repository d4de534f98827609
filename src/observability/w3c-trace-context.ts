import type { RequestTrace } from '../request-context/request-context';

/** W3C Trace Context headers (https://www.w3.org/TR/trace-context/), also read from gRPC metadata. */
export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

/**
 * The rule OpenTelemetry's W3CTraceContextPropagator parses `traceparent`
 * with: version (not ff), trace id and parent id (not all zeros), flags;
 * version 00 has nothing after the flags, a later version may.
 */
const TRACEPARENT = /^\s?((?!ff)[\da-f]{2})-((?!0{32})[\da-f]{32})-((?!0{16})[\da-f]{16})-[\da-f]{2}(-.*)?\s?$/;

/**
 * The trace id of a caller's `traceparent`, or undefined when it is absent or
 * not one the propagator would accept (checked against it in the spec). Used
 * when tracing is off, so the request's log line and prediction-log record
 * still carry the caller's trace id without loading OpenTelemetry: one
 * regular expression, and only for requests that send the header.
 */
export function traceIdOfTraceparent(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT.exec(value);
  if (match === null || (match[1] === '00' && match[4] !== undefined)) return undefined;
  return match[2];
}

/**
 * The W3C headers to send with a call made on behalf of a request (the
 * prediction log's HTTP sink, say), naming the request's span as the parent:
 * `traceparent` and, when the caller sent one, `tracestate`. Empty when
 * tracing is off: without a span of its own the service has no parent id to
 * give, and forwarding the caller's would make the call a sibling of this one.
 */
export function traceHeadersFor(context: { readonly trace?: RequestTrace } | undefined): Record<string, string> {
  return context?.trace?.headers() ?? {};
}
