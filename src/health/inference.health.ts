import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { INFERENCE_ENGINE, type InferenceEngine } from '../inference/inference-engine';

/**
 * Liveness fails when an inference worker thread has died: every later
 * inference would fail, and only a restart (Kubernetes restarts on a failed
 * liveness probe) brings the workers and their sessions back.
 */
@Injectable()
export class InferenceHealthIndicator {
  constructor(
    @Inject(INFERENCE_ENGINE) private readonly engine: InferenceEngine,
    private readonly health: HealthIndicatorService,
  ) {}

  check(key = 'inference') {
    const indicator = this.health.check(key);
    const failure = this.engine.failure?.();
    return failure ? indicator.down({ message: failure }) : indicator.up();
  }
}
