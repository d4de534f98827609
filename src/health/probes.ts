import { Inject, Injectable } from '@nestjs/common';
import { INFERENCE_ENGINE, type InferenceEngine } from '../inference/inference-engine';
import { ShutdownState } from '../lifecycle/shutdown-state';
import { ModelRegistry } from '../model-registry/model-registry.service';

/**
 * Liveness and readiness, defined once for every protocol: /health/* (with
 * terminus's per-check details) and the Open Inference Protocol's
 * /v2/health/* (status code only) answer from these two rules.
 */
@Injectable()
export class Probes {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly shutdown: ShutdownState,
    @Inject(INFERENCE_ENGINE) private readonly engine: InferenceEngine,
  ) {}

  /**
   * Why the process must be restarted, or undefined while it lives: a dead
   * inference worker is replaced in-process, so this fails only when its
   * replacements cannot start (then only a restart can bring inference back).
   */
  notLiveBecause(): string | undefined {
    return this.engine.failure?.();
  }

  /**
   * Why the replica must not receive traffic, or undefined when it may:
   * while draining after SIGTERM, and until every required model's default
   * version is loaded and warmed (ModelRegistry.isReady says which are required).
   */
  notReadyBecause(): string | undefined {
    if (this.shutdown.draining) return 'shutting down: finishing requests in flight';
    if (!this.registry.isReady()) return "a required model's default version is not READY";
    return undefined;
  }
}
