import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error';
import type { TensorMap } from '../inference/tensors';
import { ModelRegistry } from '../model-registry/model-registry.service';
import type { ReadyVersion } from '../model-registry/model-version';
import { type Deprecation, isRefused } from '../model-registry/version-deprecation';
import { sunsetRefusal } from '../model-registry/version-resolution';
import { MetricsService } from '../observability/metrics.service';
import { outcomeOf, type RequestContext } from '../request-context/request-context';
import { PredictionObservers } from './prediction-observers';

/**
 * Runs a resolved model version for any API (/v1 predict, /v2 infer, gRPC)
 * and gives each request its outcome. Every request's work on a version goes
 * through `track`.
 */
@Injectable()
export class ModelRunner {
  constructor(
    private readonly metrics: MetricsService,
    private readonly observers: PredictionObservers,
    private readonly registry: ModelRegistry,
  ) {}

  /**
   * Runs (through the version's batcher, which records the inference metrics) and names the version in
   * failures. A version with a response cache answers identical inputs from it, without the batcher;
   * every answer is then shown to the prediction observers.
   */
  async run(ready: ReadyVersion, feeds: TensorMap, outputNames: readonly string[] | undefined, context: RequestContext): Promise<TensorMap> {
    const startedAt = Date.now();
    const started = performance.now();
    const cache = ready.cache;
    const key = cache?.keyOf(feeds, outputNames);
    let outputs = key === undefined ? undefined : cache!.get(key);
    if (cache) {
      this.metrics.serving.cacheLookup(ready.name, ready.version, outputs !== undefined);
      context.cache = outputs ? 'hit' : 'miss';
    }
    context.trace?.served(ready.name, ready.version, context.cache);
    if (!outputs) {
      try {
        outputs = await ready.model.run(feeds, outputNames, context);
      } catch (error) {
        throw error instanceof DomainError
          ? error
          : new DomainError('INFERENCE_FAILED', `inference failed for ${ready.name}/${ready.version}: ${(error as Error).message}`);
      }
      if (key !== undefined) cache!.set(key, outputs);
    }
    if (this.observers.active) {
      this.observers.notify({
        model: ready.name,
        version: ready.version,
        protocol: context.protocol,
        requestId: context.requestId,
        traceId: context.traceId,
        caller: context.caller?.id,
        startedAt,
        latencyMs: performance.now() - started,
        rows: firstDimension(feeds),
        inputs: feeds,
        outputs,
        cache: context.cache,
      }, context);
    }
    return outputs;
  }

  /**
   * Wraps one request's work on a resolved version: holds the version, names it in the request's
   * context, and gives the request its outcome (outcomeOf) when the work ends, counted in
   * model_predictions_total whatever then becomes of the answer (a client gone, say). A deprecated
   * version's requests are counted as such, and refused (410) after a sunset that says so.
   */
  async track<T>(ready: ReadyVersion, work: () => Promise<T>, context: RequestContext): Promise<T> {
    // Holds the version for the whole request: a version removed or replaced meanwhile is released only after it.
    ready.enter();
    const deprecation = ready.deprecation;
    context.resolved(ready.name, ready.version, deprecation?.notice);
    try {
      if (deprecation !== undefined) this.admitDeprecated(ready, deprecation);
      const result = await work();
      this.settle(ready, context, undefined);
      return result;
    } catch (error) {
      this.settle(ready, context, error);
      throw error;
    } finally {
      ready.leave();
    }
  }

  /** Counts a request for a deprecated version (model_deprecated_requests_total); throws the 410 once its sunset refuses it. */
  private admitDeprecated(ready: ReadyVersion, deprecation: Deprecation): void {
    const now = Date.now();
    const refused = isRefused(deprecation, now);
    this.metrics.serving.deprecatedRequest(ready.name, ready.version, refused ? 'refused' : 'served');
    if (refused) throw sunsetRefusal(this.registry.get(ready.name), ready.version, deprecation, now);
  }

  private settle(ready: ReadyVersion, context: RequestContext, error: unknown): void {
    context.outcome = outcomeOf(error);
    this.metrics.serving.prediction(ready.name, ready.version, context.outcome, context.protocol);
  }
}

/** Rows of a request: the first dimension of its first input. */
function firstDimension(feeds: TensorMap): number {
  for (const name in feeds) return feeds[name].dims[0] ?? 1;
  return 1;
}
