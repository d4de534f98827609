import type { Logger } from '@nestjs/common';
import type { BatchSettings } from '../inference/batcher';
import type { BatchObserver, InferenceEngine } from '../inference/engine-contracts';
import { DomainError } from '../common/errors/domain-error';
import { batchSettingsFor, hasUsableConfig, syncDeprecation } from './model-config-state';
import { DigestMismatchError, digestMismatch, expectedDigest } from './model-digest';
import type { ModelSource } from './model-source';
import type { ModelTable } from './model-table';
import type { LoadTrigger, ModelLoadObserver } from './model-loads';
import type { ModelStatus, VersionStatus } from './model-version';
import { prepareVersion, messageOf } from './prepare-version';
import { isServable } from './servable';

export interface VersionLifecycleOptions {
  batching: BatchSettings;
  observe: (name: string, version: number) => BatchObserver;
  forget: (name: string, version: number) => void;
  /** Told of every load's trigger, outcome and duration (metrics). */
  loadObserver?: ModelLoadObserver;
  /** Called when a version has become READY, before anything awaits (the memory budget's eviction). */
  afterLoad?: (model: ModelStatus, status: VersionStatus) => void;
}

/**
 * Loads versions in the background and retires them: the only place a
 * version's session starts or ends serving.
 */
export class VersionLifecycle {
  private readonly running = new Set<Promise<void>>();
  /** The load running for each version, so that every request waiting for a version shares one. */
  private readonly loadOf = new Map<VersionStatus, Promise<void>>();
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

  /** The load running for this version, if one is. */
  loading(status: VersionStatus): Promise<void> | undefined {
    return this.loadOf.get(status);
  }

  /**
   * New or changed files of a version: loaded now, or, for a model loaded on
   * demand, listed AVAILABLE for its first request to load (a loaded version
   * is reloaded, as in eager mode; a FAILED one is tried again by that request).
   */
  found(model: ModelStatus, status: VersionStatus, fingerprint: string, trigger: LoadTrigger): void {
    if (model.loadsOnDemand && hasUsableConfig(model) && !status.ready) {
      status.state = 'AVAILABLE';
      status.reason = undefined;
      status.fingerprint = fingerprint;
      return;
    }
    void this.start(model, status, fingerprint, trigger);
  }

  /**
   * A first load makes the version READY or FAILED; a reload of a serving
   * version swaps the new session in only when it is READY, and a failed
   * reload leaves the previous session serving.
   */
  start(model: ModelStatus, status: VersionStatus, fingerprint: string, trigger: LoadTrigger = 'reload'): Promise<void> {
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
    const prepared = prepareVersion(
      this.store,
      this.engine,
      model.name,
      status.version,
      batchSettingsFor(model, this.options.batching),
      this.options.observe(model.name, status.version),
      model.fileConfig?.cache?.max_bytes,
      expectedDigest(model, status.version),
    ).then((loaded) => {
      // config.json may have declared another digest while the version loaded.
      const mismatch = digestMismatch(model.name, status.version, loaded.sha256, expectedDigest(model, status.version));
      if (!mismatch) return loaded;
      void loaded.retire();
      throw mismatch;
    });
    const load = prepared.then(
      (loaded) => {
        const stillWanted = model.versions.includes(status) && this.table.holds(model) && !status.pinnedUnloaded && !this.stopped;
        this.options.loadObserver?.onLoad(trigger, 'ready', (performance.now() - started) / 1000);
        if (!stillWanted) return loaded.retire();
        const previous = status.ready;
        status.ready = loaded;
        syncDeprecation(model, status);
        status.state = 'READY';
        status.reason = undefined;
        status.fingerprint = fingerprint;
        status.refusedByDigest = false;
        this.logger.log(
          `Model ${id} READY (${previous ? 'reloaded' : 'loaded'} and warmed in ${Math.round(performance.now() - started)} ms; ` +
            `runs ${loaded.model.placement ?? 'on the event loop'}; model.onnx sha256 ${loaded.sha256})`,
        );
        this.options.afterLoad?.(model, status);
        return previous?.retire();
      },
      (error) => {
        this.options.loadObserver?.onLoad(trigger, 'failed', (performance.now() - started) / 1000);
        const refusedByDigest = error instanceof DigestMismatchError;
        status.refusedByDigest = refusedByDigest;
        // Refused against a digest config.json no longer declares: left unset, the next pass loads the files again.
        const stale = refusedByDigest && error.expected.sha256 !== expectedDigest(model, status.version)?.sha256;
        status.fingerprint = stale ? undefined : fingerprint;
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
      if (this.loadOf.get(status) === tracked) this.loadOf.delete(status);
    });
    this.running.add(tracked);
    this.loadOf.set(status, tracked);
    return tracked;
  }

  /**
   * Applies a change of the sha256s config.json declares, for the versions whose declaration changed: a
   * session whose bytes are not the declared ones any more stops serving (FAILED; released once the
   * requests using it end). Returns the versions whose files were refused by their digest, which the
   * new declaration may accept: the caller has them loaded again. A version loading now is checked
   * when its load ends.
   */
  applyDeclaredDigests(model: ModelStatus, changed: readonly number[]): VersionStatus[] {
    const retry: VersionStatus[] = [];
    for (const status of model.versions.filter((v) => changed.includes(v.version))) {
      const filesRefused = status.refusedByDigest;
      const ready = status.ready;
      const mismatch = ready && digestMismatch(model.name, status.version, ready.sha256, expectedDigest(model, status.version));
      if (ready && mismatch) {
        status.ready = undefined;
        status.state = 'FAILED';
        status.reason = mismatch.message;
        status.refusedByDigest = true;
        this.logger.error(`Model ${model.name}/${status.version} stops serving: ${mismatch.message}; draining ${ready.inFlight} request(s), then releasing`);
        void ready.retire();
      }
      if (filesRefused && !status.loading) retry.push(status);
    }
    return retry;
  }

  /**
   * Unloads a READY version to free memory and lists it AVAILABLE again: its
   * next request loads it. Requests holding it finish first (retire waits).
   */
  evict(model: ModelStatus, status: VersionStatus, why: string): void {
    const ready = status.ready;
    if (!ready) return;
    status.ready = undefined;
    status.state = 'AVAILABLE';
    status.reason = undefined;
    this.logger.log(`Model ${model.name}/${status.version} unloaded (${why}); its next request loads it again`);
    void ready.retire().then(() => {
      // Its batcher's series go with it, unless a request has loaded it again meanwhile.
      if (!status.ready && !status.loading) this.options.forget(model.name, status.version);
    });
  }

  /**
   * Stops serving a version through the admin API (in-flight requests finish first) and keeps it unloaded
   * until loaded again. Refused for a version requests that name none depend on, unless `wholeModel`.
   */
  async unloadByAdmin(model: ModelStatus, status: VersionStatus, wholeModel: boolean): Promise<void> {
    const { name } = model;
    const { version } = status;
    // A model loaded on demand still serves with versions its requests would load.
    const othersReady = model.versions.some((other) => other !== status && (model.loadsOnDemand ? isServable(model, other) : other.state === 'READY'));
    if (!wholeModel && status.state === 'READY' && (model.configuredDefault === version || !othersReady)) {
      // Unloading it would leave requests that name no version with nothing to serve them, and the pod unready.
      throw new DomainError(
        'CONFLICT',
        `model "${name}": version ${version} is ${othersReady ? 'its configured default version' : 'its only READY version'}; ` +
          `make another READY version the default first (PUT /v1/admin/models/${name}/config)`,
      );
    }
    status.pinnedUnloaded = true;
    status.state = 'UNAVAILABLE';
    status.reason = 'unloaded through the admin API';
    const ready = status.ready;
    status.ready = undefined;
    await ready?.retire();
    this.logger.log(`Model ${name}/${version} unloaded through the admin API`);
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
