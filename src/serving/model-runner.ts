import { Injectable } from '@nestjs/common';
import { DomainError, isRetryLater } from '../common/domain-error';
import type { RunOptions } from '../inference/inference-engine';
import type { TensorMap } from '../inference/tensors';
import type { ReadyVersion } from '../model-registry/model-version';
import { MetricsService, type PredictionOutcome, type Protocol } from '../observability/metrics.service';
import { PredictionObservers } from './prediction-observers';

/**
 * Runs a resolved model version for any API (/v1 predict, /v2 infer) and
 * counts one outcome per request. Every request's work on a version goes
 * through `track`.
 */
@Injectable()
export class ModelRunner {
  constructor(
    private readonly metrics: MetricsService,
    private readonly observers: PredictionObservers,
  ) {}

  /**
   * Runs (through the version's batcher, which records the inference metrics) and names the version in
   * failures. A version with a response cache answers identical inputs from it, without the batcher;
   * every answer is then shown to the prediction observers.
   */
  async run(ready: ReadyVersion, feeds: TensorMap, outputNames?: readonly string[], options?: RunOptions): Promise<TensorMap> {
    const startedAt = Date.now();
    const started = performance.now();
    const cache = ready.cache;
    const key = cache?.keyOf(feeds, outputNames);
    let outputs = key === undefined ? undefined : cache!.get(key);
    if (cache) {
      this.metrics.recordCacheLookup(ready.name, ready.version, outputs !== undefined);
      if (options?.context) options.context.cache = outputs ? 'hit' : 'miss';
    }
    options?.context?.trace?.served(ready.name, ready.version, options.context.cache);
    if (!outputs) {
      try {
        outputs = await ready.model.run(feeds, outputNames, options);
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
        protocol: options?.context?.protocol ?? 'http',
        requestId: options?.context?.requestId,
        traceId: options?.context?.traceId,
        startedAt,
        latencyMs: performance.now() - started,
        rows: Object.values(feeds)[0]?.dims[0] ?? 1,
        inputs: feeds,
        outputs,
        cache: options?.context?.cache,
      });
    }
    return outputs;
  }

  /**
   * Wraps one request's work for a resolved version: client errors count as
   * invalid_input; work refused or dropped without running (queue full, the
   * request's deadline passed, the client went away) as rejected; anything
   * else as error; completion as success. `protocol` says which API the request came by (REST or gRPC).
   */
  async track<T>(ready: ReadyVersion, work: () => Promise<T>, protocol: Protocol = 'http'): Promise<T> {
    // Holds the version for the whole request: a version removed or replaced meanwhile is released only after it.
    ready.enter();
    try {
      const result = await work();
      this.metrics.recordPrediction(ready.name, ready.version, 'success', protocol);
      return result;
    } catch (error) {
      this.metrics.recordPrediction(ready.name, ready.version, outcomeOf(error), protocol);
      throw error;
    } finally {
      ready.leave();
    }
  }
}

function outcomeOf(error: unknown): PredictionOutcome {
  if (!(error instanceof DomainError)) return 'error';
  if (error.status < 500) return 'invalid_input';
  return isRetryLater(error.code) ? 'rejected' : 'error';
}
