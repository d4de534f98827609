import type { OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { SpanStarter } from './spans';
import { startSdkTracing } from './tracing-sdk';

/** How long closing the app waits for the last spans to reach the collector. */
export const TRACE_FLUSH_TIMEOUT_MS = 5_000;

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
