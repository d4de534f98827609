import type { Logger } from '@nestjs/common';
import type { BatchSettings } from '../inference/batcher';
import type { BatchObserver, InferenceEngine } from '../inference/engine-contracts';
import { batchSettingsFor, hasUsableConfig } from './model-config-state';
import type { ModelSource } from './model-source';
import type { ModelTable } from './model-table';
import type { ModelStatus, VersionStatus } from './model-version';
import { prepareVersion, messageOf } from './prepare-version';

export interface VersionLifecycleOptions {
  batching: BatchSettings;
  observe: (name: string, version: number) => BatchObserver;
  forget: (name: string, version: number) => void;
}

/**
 * Loads versions in the background and retires them: the only place a
 * version's session starts or ends serving.
 */
export class VersionLifecycle {
  private readonly running = new Set<Promise<void>>();
  /** Set once the service stops: what finishes loading then is released at once. */
  stopped = false;

  constructor(
    private readonly store: ModelSource,
    private readonly engine: InferenceEngine,
    private readonly table: ModelTable,
    private readonly options: VersionLifecycleOptions,
    private readonly logger: Logger,
  ) {}

  get idle(): boolean {
    return this.running.size === 0;
  }

  /** Settles when the loads running now have. */
  settled(): Promise<unknown> {
    return Promise.allSettled([...this.running]);
  }

  /**
   * A first load makes the version READY or FAILED; a reload of a serving
   * version swaps the new session in only when it is READY, and a failed
   * reload leaves the previous session serving.
   */
  start(model: ModelStatus, status: VersionStatus, fingerprint: string): Promise<void> {
    if (!hasUsableConfig(model)) {
      // The fingerprint stays unset: once the config is fixed, the next pass loads the version.
      if (!status.ready) {
        status.state = 'FAILED';
        status.reason = `not loaded until its model config is usable: ${model.configError?.reason ?? 'no config read yet'}`;
      }
      return Promise.resolve();
    }
    const id = `${model.name}/${status.version}`;
    const started = performance.now();
    status.loading = true;
    if (!status.ready) {
      status.state = 'LOADING';
      status.reason = undefined;
    }
    const load = prepareVersion(
      this.store,
      this.engine,
      model.name,
      status.version,
      batchSettingsFor(model, this.options.batching),
      this.options.observe(model.name, status.version),
      model.fileConfig?.cache?.max_bytes,
    ).then(
      (loaded) => {
        const stillWanted = model.versions.includes(status) && this.table.holds(model) && !status.pinnedUnloaded && !this.stopped;
        if (!stillWanted) return loaded.retire();
        const previous = status.ready;
        status.ready = loaded;
        status.state = 'READY';
        status.reason = undefined;
        status.fingerprint = fingerprint;
        this.logger.log(
          `Model ${id} READY (${previous ? 'reloaded' : 'loaded'} and warmed in ${Math.round(performance.now() - started)} ms; ` +
            `runs ${loaded.model.placement ?? 'on the event loop'})`,
        );
        return previous?.retire();
      },
      (error) => {
        status.fingerprint = fingerprint;
        if (status.ready) {
          status.reason = `reload failed, still serving the previous files: ${messageOf(error)}`;
          this.logger.error(`Model ${id} reload FAILED, previous version keeps serving: ${messageOf(error)}`);
        } else {
          status.state = 'FAILED';
          status.reason = messageOf(error);
          this.logger.error(`Model ${id} FAILED: ${status.reason}`);
        }
      },
    );
    const tracked = load.then(() => undefined).finally(() => {
      status.loading = false;
      this.running.delete(tracked);
    });
    this.running.add(tracked);
    return tracked;
  }

  /** Takes a version out of its model; its session is released once the requests holding it end. */
  retire(model: ModelStatus, status: VersionStatus, reason: string): void {
    model.versions = model.versions.filter((v) => v !== status);
    status.state = 'UNAVAILABLE';
    status.reason = reason;
    const ready = status.ready;
    status.ready = undefined;
    if (ready) {
      this.logger.log(`Model ${model.name}/${status.version} ${reason}: draining ${ready.inFlight} request(s), then releasing`);
      void ready.retire().then(() => this.options.forget(model.name, status.version));
    }
  }
}
