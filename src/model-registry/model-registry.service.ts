import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { DomainError, ModelNotFoundError } from '../common/errors/domain-error';
import type { BatchSettings } from '../inference/batcher';
import { type BatchObserver, INFERENCE_ENGINE, type InferenceEngine } from '../inference/engine-contracts';
import { applyOverrides, describeAvailable } from './model-config-state';
import type { ModelSource } from './model-source';
import { ModelTable } from './model-table';
import { type NotReady, requiredModelsNotServing, stillLoadingAtStart } from './readiness';
import type { ModelConfigValues, ModelStatus, ReadyVersion, VersionStatus } from './model-version';
import { RepositoryReachability } from './repository-reachability';
import { PollPacing } from './poll-pacing';
import { RepositorySync } from './repository-sync';
import { chooseVersion, chosenStatus, defaultReady, defaultVersion } from './version-resolution';
import { VersionLifecycle } from './version-lifecycle';
import type { MemoryUse } from './memory-budget';
import { EAGER_LOADING, type LoadingOptions, type ModelLoadObserver, NO_LOAD_OBSERVER } from './model-loads';
import { OnDemandLoads } from './on-demand-loads';
import type { VersionSelector } from './requested-version';

export const MODEL_STORE = Symbol('MODEL_STORE');
export const REGISTRY_OPTIONS = Symbol('REGISTRY_OPTIONS');

export interface RegistryOptions {
  /** How often MODELS_DIR is rescanned for new, changed and removed versions; 0 turns watching off. */
  pollIntervalMs: number;
  /** How long a new or changed file must stay unchanged before it is loaded, so half-copied files are not. */
  settleMs: number;
  /** Service-wide batching settings; a model's config.json "batching" overrides them per field. */
  batching: BatchSettings;
  /**
   * Models that must serve for the replica to be ready (REQUIRED_MODELS); empty: those present at
   * start whose default version loaded (so not one whose config was refused from the start).
   */
  requiredModels?: readonly string[];
  /** Where each version's batcher reports (metrics), and how a retired version's series are dropped. */
  observe: (name: string, version: number) => BatchObserver;
  forget: (name: string, version: number) => void;
  /** Eager (the default) or lazy loading, how long requests wait for a load, the memory budget. */
  loading?: LoadingOptions;
  /** Where loads and unloads are counted (metrics). */
  loadObserver?: ModelLoadObserver;
}

/** With watching off (MODEL_POLL_INTERVAL_MS=0), how often a repository that could not be read at start is tried again. */
const START_RETRY_MS = 5000;

const NO_OBSERVER: BatchObserver = { onBatch: () => undefined, onQueueDepth: () => undefined };

/** Defaults for tests and tools that build a registry by hand. */
export const DEFAULT_REGISTRY_OPTIONS: RegistryOptions = {
  pollIntervalMs: 0,
  settleMs: 0,
  batching: { enabled: true, maxBatchSize: 32, maxQueueDelayUs: 0, maxQueueSize: 2048 },
  observe: () => NO_OBSERVER,
  forget: () => undefined,
};

/**
 * Holds every model version and its state, and answers "which loaded version
 * serves this request". The repository is read in the background: at start
 * (so liveness answers while models warm up) and then on every poll, where new
 * versions are loaded, changed files reloaded and swapped in only once READY,
 * and removed versions drained and released (RepositorySync, VersionLifecycle).
 */
@Injectable()
export class ModelRegistry implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(ModelRegistry.name);
  private readonly table: ModelTable;
  private readonly loads: VersionLifecycle;
  private readonly repository: RepositorySync;
  private readonly onDemand: OnDemandLoads;
  /** Whether the repository could be read at the last attempt: logged once per outage, shown by health and metrics. */
  readonly reachability: RepositoryReachability;
  private initialSync: Promise<void> | undefined;
  private poller: NodeJS.Timeout | undefined;
  private readonly pacing: PollPacing;
  /** The models readiness waits for; known once the first load has finished (see isReady). */
  private required: ReadonlySet<string> | undefined;

  constructor(
    @Inject(MODEL_STORE) private readonly store: ModelSource,
    @Inject(INFERENCE_ENGINE) engine: InferenceEngine,
    @Inject(REGISTRY_OPTIONS) private readonly options: RegistryOptions = DEFAULT_REGISTRY_OPTIONS,
  ) {
    const loading = options.loading ?? EAGER_LOADING;
    const required = new Set(options.requiredModels);
    this.table = new ModelTable((name) => loading.mode === 'lazy' && !required.has(name));
    this.loads = new VersionLifecycle(store, engine, this.table, { ...options, afterLoad: (_, status) => this.onDemand.loaded(status) }, this.logger);
    const runtimeBytes = () => engine.runtimeBytes?.() ?? 0;
    this.onDemand = new OnDemandLoads(this.loads, this.table, loading, options.loadObserver ?? NO_LOAD_OBSERVER, this.logger, runtimeBytes);
    this.repository = new RepositorySync(store, this.table, this.loads, options.settleMs, this.logger);
    this.reachability = new RepositoryReachability(store.root, this.logger);
    this.pacing = new PollPacing(options.pollIntervalMs);
  }

  onApplicationBootstrap(): void {
    // A failure is logged once by `reachability`; the poller tries again until the repository is read.
    void this.whenLoaded().catch(() => undefined);
    this.poller = setInterval(() => void this.poll(), this.options.pollIntervalMs || START_RETRY_MS);
    this.poller.unref();
  }

  /** Resolves once every version found at start has finished loading (READY or FAILED). */
  async whenLoaded(): Promise<void> {
    // Forgotten when it fails, so the next call (a poll, an admin rescan) reads the repository again.
    this.initialSync ??= this.reachability.track(this.repository.run(true)).catch((error: unknown) => {
      this.initialSync = undefined;
      throw error;
    });
    await this.initialSync;
    await this.whenIdle();
    // Lazy mode waits only for the models it names: the others are not even loaded.
    this.required ??=
      this.options.requiredModels?.length || this.options.loading?.mode === 'lazy'
        ? new Set(this.options.requiredModels)
        : new Set(this.list().filter((model) => defaultReady(model) !== undefined).map((model) => model.name));
  }

  /** Resolves when no scan and no load is running. */
  async whenIdle(): Promise<void> {
    while (this.repository.running || !this.loads.idle) {
      await Promise.allSettled([this.repository.running, this.loads.settled()]);
    }
  }

  /** Reads the repository now, loading what is new or changed without waiting for files to settle. */
  async rescan(): Promise<void> {
    await this.whenLoaded();
    await this.reachability.track(this.repository.run(true));
    await this.whenIdle();
  }

  onModuleDestroy(): void {
    this.loads.stopped = true;
    if (this.poller) clearInterval(this.poller);
  }

  /**
   * Releases every session. Runs after the HTTP server has closed (Nest calls
   * shutdown hooks after disposing the server), so no request can still need
   * one; versions still held by a request are released when it ends.
   */
  async onApplicationShutdown(): Promise<void> {
    this.onModuleDestroy();
    await this.whenIdle().catch(() => undefined);
    const retiring: Promise<void>[] = [];
    for (const model of this.table.list()) {
      for (const status of model.versions) {
        const ready = status.ready;
        status.ready = undefined;
        status.state = 'UNAVAILABLE';
        status.reason = 'service shutting down';
        if (ready) retiring.push(ready.retire());
      }
    }
    await Promise.all(retiring);
  }

  list(): readonly ModelStatus[] {
    return this.table.list();
  }

  /**
   * True once the first load is done and every required model serves: its
   * default version READY. A model that never loaded (a broken folder or a
   * config.json refused at start, or one added later) reports FAILED on its own
   * metadata and metrics, but does not take the healthy models out of the
   * Service. A config.json refused while its model serves does not either: the
   * last good config stays in force. A required model removed from disk is no
   * longer waited for, unless REQUIRED_MODELS names it.
   */
  isReady(): boolean {
    return this.notReadyBecause() === undefined;
  }

  /** Why the replica is not ready, naming the models that cause it and why; undefined when it is. */
  notReadyBecause(): NotReady | undefined {
    if (!this.repository.scanned && this.reachability.unreadable) return { message: this.reachability.unreadable, models: {} };
    if (!this.repository.scanned || !this.required) return stillLoadingAtStart(this.list());
    return requiredModelsNotServing(this.required, (name) => this.table.find(name), Boolean(this.options.requiredModels?.length));
  }

  /** Whether readiness waits for this model (see isReady). */
  isRequired(name: string): boolean {
    return this.required?.has(name) ?? true;
  }

  get(name: string): ModelStatus {
    const model = this.table.find(name);
    if (!model && !this.repository.scanned) {
      throw new DomainError('MODEL_LOADING', 'the model repository is still being read; retry shortly');
    }
    if (!model) throw new ModelNotFoundError(name, this.list().map((m) => m.name));
    return model;
  }

  /** The READY version that serves a request for `name` with this selector, or a 404-kind error naming what exists; never loads. */
  resolve(name: string, selector: VersionSelector): ReadyVersion {
    return chooseVersion(this.get(name), selector);
  }

  /**
   * The version a request for `name` with this selector is served by: at once (no promise) when it is
   * READY, the request path's common case; in lazy mode, a version not loaded yet is loaded and waited for,
   * up to MODEL_LOAD_WAIT_MS and `deadline` (epoch ms), then a 503 to retry (MODEL_LOADING). Otherwise
   * as `resolve`. Marks the version used, for the memory budget's least-recently-used order.
   */
  acquire(name: string, selector: VersionSelector, deadline?: number): ReadyVersion | Promise<ReadyVersion> {
    const model = this.get(name);
    const status = chosenStatus(model, selector);
    this.onDemand.touch(status);
    return status.state === 'READY' && status.ready ? status.ready : this.onDemand.serve(model, status, selector, deadline);
  }

  /** This process's loaded versions, their estimated memory and its budget. */
  memoryUse(): MemoryUse {
    return this.onDemand.memoryUse();
  }

  /** The version a request without a selector gets when no canary split applies (see version-resolution's defaultVersion). */
  defaultVersion(model: ModelStatus): number | undefined {
    return defaultVersion(model);
  }

  /** Loads (or reloads) one version from disk now; an unloaded version becomes eligible again. */
  async loadNow(name: string, version: number): Promise<VersionStatus> {
    await this.whenLoaded();
    const model = this.get(name);
    const stored = (await this.reachability.track(this.store.scan())).models.find((m) => m.name === name)?.versions.find((v) => v.version === version);
    if (!stored) {
      throw new DomainError('VERSION_NOT_AVAILABLE', `model "${name}": version ${version} has no folder in the model repository`);
    }
    const status = this.table.statusFor(model, version);
    status.pinnedUnloaded = false;
    await this.loads.start(model, status, stored.fingerprint, 'admin');
    return status;
  }

  /**
   * Stops serving a version (in-flight requests finish first) and keeps it unloaded until loaded again.
   * `wholeModel`: every version goes (the repository extension's unload, which refuses a required model itself).
   */
  async unload(name: string, version: number, wholeModel = false): Promise<VersionStatus> {
    const model = this.get(name);
    const status = model.versions.find((v) => v.version === version);
    if (!status) throw new DomainError('VERSION_NOT_AVAILABLE', `model "${name}": version ${version} does not exist; ${describeAvailable(model)}`);
    await this.loads.unloadByAdmin(model, status, wholeModel);
    return status;
  }

  /** Reloads every version of a model and its config from disk, swapping each in when READY. */
  async reloadModel(name: string): Promise<ModelStatus> {
    await this.whenLoaded();
    const model = this.get(name);
    const stored = (await this.reachability.track(this.store.scan())).models.find((m) => m.name === name);
    if (!stored) throw new DomainError('MODEL_NOT_FOUND', `model "${name}" has no folder in the model repository any more`);
    this.repository.applyConfig(model, stored);
    await Promise.all(
      stored.versions.map(({ version, fingerprint }) => {
        const status = this.table.statusFor(model, version);
        status.pinnedUnloaded = false;
        return this.loads.start(model, status, fingerprint, 'admin');
      }),
    );
    return model;
  }

  /** Run-time default version, labels and weights; they win over config.json until cleared with `undefined`. */
  setOverrides(name: string, overrides: ModelConfigValues | undefined): ModelStatus {
    const model = this.get(name);
    applyOverrides(model, overrides);
    this.logger.log(`Model ${name}: run-time config ${overrides ? JSON.stringify(overrides) : 'cleared'}`);
    return model;
  }

  private async poll(): Promise<void> {
    if (this.repository.running || this.loads.stopped) return;
    if (!this.required) return this.whenLoaded().catch(() => undefined);
    if (this.options.pollIntervalMs === 0) return clearInterval(this.poller);
    if (!this.pacing.due(Date.now())) return;
    const started = Date.now();
    // Failures are logged once per outage (reachability); what is loaded keeps serving meanwhile.
    await this.reachability.track(this.repository.run(false)).catch(() => undefined);
    const versions = this.table.list().reduce((sum, model) => sum + model.versions.length, 0);
    if (this.pacing.passed(started, versions)) {
      this.logger.log(`The model repository (${versions} versions) is read every ${(this.pacing.effectiveIntervalMs / 1000).toFixed(1)} s`);
    }
  }
}
