import type { RequestContext } from '../request-context/request-context';

/**
 * What a request's log line says about the model that served it, the same for
 * an HTTP request and a gRPC call: model, version, and once it ran as a
 * prediction its outcome, the cache's verdict, and how long it waited in the
 * batcher's queue and ran; `deprecated` when the version is (so the callers
 * of a version being retired can be found). Nothing when no version was resolved.
 */
export function addServingFields(line: Record<string, unknown>, context: RequestContext): void {
  if (context.model === undefined) return;
  line.model = context.model;
  line.version = context.version;
  if (context.outcome !== undefined) line.outcome = context.outcome;
  if (context.cache !== undefined) line.cache = context.cache;
  if (context.deprecation !== undefined) line.deprecated = true;
  if (context.queueMs !== undefined) line.queue_ms = roundMicros(context.queueMs);
  if (context.inferenceMs !== undefined) line.inference_ms = roundMicros(context.inferenceMs);
}

/** Milliseconds to the microsecond: finer digits are noise, and shorter lines are cheaper to write. */
export function roundMicros(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
