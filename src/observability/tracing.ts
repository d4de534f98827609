import type { OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { RequestTrace } from '../request-context/request-context';
import { startSdkTracing } from './tracing-sdk';

/** How long closing the app waits for the last spans to reach the collector. */
export const TRACE_FLUSH_TIMEOUT_MS = 5_000;

/** The service's name in traces unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES name it. */
export const DEFAULT_SERVICE_NAME = 'onnx-model-server';

/**
 * Whether the standard OTEL_* variables ask for traces: an OTLP endpoint
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set,
 * and neither OTEL_SDK_DISABLED=true nor OTEL_TRACES_EXPORTER=none turns it
 * off. Everything else in OTEL_* is the SDK's to read.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint) return false;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  // As the SDK reads it: "none" first turns traces off ("none" after another exporter is ignored).
  return (env.OTEL_TRACES_EXPORTER ?? '').split(',')[0].trim() !== 'none';
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

/**
 * Tracing for this process: `spans` when OTEL_EXPORTER_OTLP_ENDPOINT (or
 * its traces variant) is set, else nothing. The OpenTelemetry SDK is
 * required only then, so an untraced service neither loads it nor creates
 * spans; each HTTP process (HTTP_PROCESSES > 1) starts its own. Provided
 * by ObservabilityModule's factory, which closing the app shuts down.
 */
export class Tracing implements OnApplicationShutdown {
  constructor(readonly spans: SpanStarter | undefined) {}

  static fromEnvironment(env: NodeJS.ProcessEnv, logger: Logger, serviceVersion: string): Tracing {
    return new Tracing(tracingRequested(env) ? startSdkTracing(env, logger, serviceVersion) : undefined);
  }

  get enabled(): boolean {
    return this.spans !== undefined;
  }

  /** After the servers have closed, so the spans of the last requests are ended and exported too. */
  async onApplicationShutdown(): Promise<void> {
    await this.spans?.shutdown(TRACE_FLUSH_TIMEOUT_MS);
  }
}
