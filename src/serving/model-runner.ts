import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import type { TensorMap } from '../inference/tensors';
import type { ReadyVersion } from '../model-registry/model-version';
import { MetricsService, type PredictionOutcome } from '../observability/metrics.service';

/**
 * Runs a resolved model version for any API (/v1 predict, /v2 infer) and keeps
 * the model metrics: one inference-duration sample per run and one outcome per
 * request. Every request's work on a version goes through `track`.
 */
@Injectable()
export class ModelRunner {
  constructor(private readonly metrics: MetricsService) {}

  async run(ready: ReadyVersion, feeds: TensorMap, outputNames?: readonly string[]): Promise<TensorMap> {
    const started = performance.now();
    try {
      return await ready.model.run(feeds, outputNames);
    } catch (error) {
      throw error instanceof DomainError
        ? error
        : new DomainError('INFERENCE_FAILED', `inference failed for ${ready.name}/${ready.version}: ${(error as Error).message}`);
    } finally {
      this.metrics.recordInference(ready.name, ready.version, (performance.now() - started) / 1000);
    }
  }

  /**
   * Wraps one request's work for a resolved version: client errors count as
   * invalid_input, anything else as error, completion as success.
   */
  async track<T>(ready: ReadyVersion, work: () => Promise<T>): Promise<T> {
    // Holds the version for the whole request: a version removed or replaced meanwhile is released only after it.
    ready.enter();
    try {
      const result = await work();
      this.metrics.recordPrediction(ready.name, ready.version, 'success');
      return result;
    } catch (error) {
      this.metrics.recordPrediction(ready.name, ready.version, outcomeOf(error));
      throw error;
    } finally {
      ready.leave();
    }
  }
}

function outcomeOf(error: unknown): PredictionOutcome {
  return error instanceof DomainError && error.status < 500 ? 'invalid_input' : 'error';
}
