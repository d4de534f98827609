import { Injectable } from '@nestjs/common';
import { DomainError, isRetryLater } from '../common/domain-error';
import type { RunOptions } from '../inference/inference-engine';
import type { TensorMap } from '../inference/tensors';
import type { ReadyVersion } from '../model-registry/model-version';
import { MetricsService, type PredictionOutcome, type Protocol } from '../observability/metrics.service';

/**
 * Runs a resolved model version for any API (/v1 predict, /v2 infer) and
 * counts one outcome per request. Every request's work on a version goes
 * through `track`.
 */
@Injectable()
export class ModelRunner {
  constructor(private readonly metrics: MetricsService) {}

  /** Runs (through the version's batcher, which records the inference metrics) and names the version in failures. */
  async run(ready: ReadyVersion, feeds: TensorMap, outputNames?: readonly string[], options?: RunOptions): Promise<TensorMap> {
    try {
      return await ready.model.run(feeds, outputNames, options);
    } catch (error) {
      throw error instanceof DomainError
        ? error
        : new DomainError('INFERENCE_FAILED', `inference failed for ${ready.name}/${ready.version}: ${(error as Error).message}`);
    }
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
