import { Inject, Injectable } from '@nestjs/common';
import { HEALTH_SHARE_MS, type ProcessHealth, ServerProcess, TO_HTTP_PROCESS, TO_PRIMARY } from '../cluster/server-process';
import { INFERENCE_ENGINE, type InferenceEngine } from '../inference/engine-contracts';
import { ShutdownState } from '../lifecycle/shutdown-state';
import { ModelRegistry } from '../model-registry/model-registry.service';

/** The other HTTP processes answer within 2 s; this covers that and the hop. */
const SIBLINGS_HEALTH_TIMEOUT_MS = 2_500;
/**
 * What the primary last told of the other processes is used for this long (three of its rounds): a
 * process stalled longer stops the rounds, and probes then ask, and wait, as they did before.
 */
const SIBLINGS_VIEW_MAX_AGE_MS = 3 * HEALTH_SHARE_MS;

/**
 * Liveness and readiness, defined once for every protocol: /health/* (with
 * terminus's per-check details) and the Open Inference Protocol's
 * /v2/health/* (status code only) answer from these two rules. With
 * HTTP_PROCESSES > 1 a probe lands on any one process, so each answers for
 * the pod: its own rule and then every other process's (through the
 * primary). Otherwise a pod half loaded would look ready on every second
 * probe, and a process that needs a restart might never fail enough probes
 * in a row. The others' health comes from the primary every HEALTH_SHARE_MS,
 * so a probe does not wait for their event loops (under full load each holds
 * for a batch at a time, and a probe that waited for both measured 80 ms).
 */
@Injectable()
export class Probes {
  private siblingsView: { health: ProcessHealth; receivedAt: number } | undefined;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly shutdown: ShutdownState,
    @Inject(INFERENCE_ENGINE) private readonly engine: InferenceEngine,
    private readonly serverProcess: ServerProcess,
  ) {
    serverProcess.primary?.handle(TO_HTTP_PROCESS.health, (): ProcessHealth => ({
      notLive: this.notLiveHere(),
      notReady: this.notReadyHere(),
    }));
    serverProcess.primary?.handle(TO_HTTP_PROCESS.siblingsHealth, (health) => {
      this.siblingsView = { health: health as ProcessHealth, receivedAt: Date.now() };
    });
  }

  /** Why the pod must be restarted, or undefined while it lives. */
  async notLiveBecause(): Promise<string | undefined> {
    return this.notLiveHere() ?? (await this.siblings())?.notLive;
  }

  /** Why the pod must not receive traffic, or undefined when it may. */
  async notReadyBecause(): Promise<string | undefined> {
    return this.notReadyHere() ?? (await this.siblings())?.notReady;
  }

  /**
   * A dead inference worker is replaced in-process, so this fails only when
   * its replacements cannot start (then only a restart can bring inference back).
   */
  private notLiveHere(): string | undefined {
    return this.engine.failure?.();
  }

  /**
   * While draining after SIGTERM, and until every required model's default
   * version is loaded and warmed (ModelRegistry.notReadyBecause says which
   * are required, and names those that are not).
   */
  private notReadyHere(): string | undefined {
    if (this.shutdown.draining) return 'shutting down: finishing requests in flight';
    return this.registry.notReadyBecause()?.message;
  }

  private async siblings(): Promise<ProcessHealth | undefined> {
    const primary = this.serverProcess.primary;
    if (!primary) return undefined;
    const view = this.siblingsView;
    if (view && Date.now() - view.receivedAt <= SIBLINGS_VIEW_MAX_AGE_MS) return view.health;
    try {
      return await primary.request<ProcessHealth>(TO_PRIMARY.health, undefined, SIBLINGS_HEALTH_TIMEOUT_MS);
    } catch (error) {
      const reason = `the other HTTP processes' health is unknown: ${(error as Error).message}`;
      return { notLive: reason, notReady: reason };
    }
  }
}
