import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import type { BatchSettings } from '../inference/batcher';
import { type BatchObserver, INFERENCE_ENGINE, type InferenceEngine } from '../inference/inference-engine';
import { ModelStore, type StoredModel } from './model-store';
import type { ModelConfigValues, ModelStatus, ReadyVersion, VersionStatus } from './model-version';
import { pickWeightedVersion } from './traffic-split';
import { describeSelector, type VersionSelector } from './version-selector';
import { loadVersion, messageOf } from './version-loader';

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
   * start whose default version loaded.
   */
  requiredModels?: readonly string[];
  /** Where each version's batcher reports (metrics), and how a retired version's series are dropped. */
  observe: (name: string, version: number) => BatchObserver;
  forget: (name: string, version: number) => void;
}

const NO_OBSERVER: BatchObserver = { onBatch: () => undefined, onQueueDepth: () => undefined };

/** Defaults for tests and tools that build a registry by hand. */
export const DEFAULT_REGISTRY_OPTIONS: RegistryOptions = {
  pollIntervalMs: 0,
  settleMs: 0,
  batching: { enabled: true, maxBatchSize: 32, maxQueueDelayUs: 0, maxQueueSize: 2048 },
  observe: () => NO_OBSERVER,
  forget: () => undefined,
};

interface PendingChange {
  fingerprint: string;
  since: number;
}

/**
 * Holds every model version and its state, and answers "which loaded version
 * serves this request". The repository is read in the background: at start
 * (so liveness answers while models warm up) and then on every poll, where new
 * versions are loaded, changed files reloaded and swapped in only once READY,
 * and removed versions drained and released.
 */
@Injectable()
export class ModelRegistry implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(ModelRegistry.name);
  private readonly models = new Map<string, ModelStatus>();
  private readonly pending = new Map<string, PendingChange>();
  private readonly loads = new Set<Promise<void>>();
  private initialSync: Promise<void> | undefined;
  private syncing: Promise<void> | undefined;
  private poller: NodeJS.Timeout | undefined;
  private scanned = false;
  private stopped = false;
  /** The models readiness waits for; known once the first load has finished (see isReady). */
  private required: ReadonlySet<string> | undefined;

  constructor(
    @Inject(MODEL_STORE) private readonly store: ModelStore,
    @Inject(INFERENCE_ENGINE) private readonly engine: InferenceEngine,
    @Inject(REGISTRY_OPTIONS) private readonly options: RegistryOptions = DEFAULT_REGISTRY_OPTIONS,
  ) {}

  onApplicationBootstrap(): void {
    void this.whenLoaded().catch((error) => this.logger.error(`Reading ${this.store.root} failed: ${messageOf(error)}`));
    if (this.options.pollIntervalMs > 0) {
      this.poller = setInterval(() => void this.poll(), this.options.pollIntervalMs);
      this.poller.unref();
    }
  }

  /** Resolves once every version found at start has finished loading (READY or FAILED). */
  async whenLoaded(): Promise<void> {
    this.initialSync ??= this.sync(true);
    await this.initialSync;
    await this.whenIdle();
    this.required ??= this.options.requiredModels?.length
      ? new Set(this.options.requiredModels)
      : new Set(this.list().filter((model) => this.defaultReady(model) !== undefined).map((model) => model.name));
  }

  /** Resolves when no scan and no load is running. */
  async whenIdle(): Promise<void> {
    while (this.syncing || this.loads.size > 0) {
      await Promise.allSettled([this.syncing, ...this.loads]);
    }
  }

  /** Reads the repository now, loading what is new or changed without waiting for files to settle. */
  async rescan(): Promise<void> {
    await this.whenLoaded();
    await this.sync(true);
    await this.whenIdle();
  }

  onModuleDestroy(): void {
    this.stopped = true;
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
    for (const model of this.models.values()) {
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
    return [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * True once the first load is done and every required model serves: its
   * config is usable and its default version READY. A model that never loaded
   * (a broken folder at start or one added later) reports FAILED on its own
   * metadata and metrics, but does not take the healthy models out of the
   * Service. A required model removed from disk is no longer waited for,
   * unless REQUIRED_MODELS names it.
   */
  isReady(): boolean {
    if (!this.scanned || !this.required) return false;
    for (const name of this.required) {
      const model = this.models.get(name);
      if (!model) {
        if (this.options.requiredModels?.length) return false;
        continue;
      }
      if (model.configError || this.defaultReady(model) === undefined) return false;
    }
    return true;
  }

  /** Whether readiness waits for this model (see isReady). */
  isRequired(name: string): boolean {
    return this.required?.has(name) ?? true;
  }

  get(name: string): ModelStatus {
    const model = this.models.get(name);
    if (!model && !this.scanned) {
      throw new DomainError('MODEL_LOADING', 'the model repository is still being read; retry shortly');
    }
    if (!model) {
      const known = this.list().map((m) => m.name);
      throw new DomainError(
        'MODEL_NOT_FOUND',
        `model "${truncate(name)}" not found; available models: ${known.length ? known.join(', ') : 'none'}`,
      );
    }
    return model;
  }

  /** The version that serves a request for `name` with this selector, or a 404-kind error naming what exists. */
  resolve(name: string, selector: VersionSelector): ReadyVersion {
    const model = this.get(name);
    const wanted = this.versionFor(model, selector);
    const status = wanted === undefined ? undefined : model.versions.find((v) => v.version === wanted);
    if (status?.state === 'READY' && status.ready) return status.ready;
    const loading = status ? status.state === 'LOADING' : wanted === undefined && model.versions.some((v) => v.state === 'LOADING');
    if (loading) {
      throw new DomainError('MODEL_LOADING', `model "${name}": ${describeSelector(selector)} is still LOADING; retry shortly`);
    }
    const why =
      wanted === undefined
        ? `${describeSelector(selector)} is not defined`
        : !status
          ? `${describeSelector(selector)} does not exist`
          : `${describeSelector(selector)} is ${status.state}${status.reason ? ` (${status.reason})` : ''}`;
    throw new DomainError('VERSION_NOT_AVAILABLE', `model "${name}": ${why}; ${describeAvailable(model)}`);
  }

  /** The version a request without a selector gets when no canary split applies: configured default, else highest READY. */
  defaultVersion(model: ModelStatus): number | undefined {
    if (model.configuredDefault !== undefined) return model.configuredDefault;
    const ready = model.versions.filter((v) => v.state === 'READY');
    return ready.at(-1)?.version;
  }

  /** Loads (or reloads) one version from disk now; an unloaded version becomes eligible again. */
  async loadNow(name: string, version: number): Promise<VersionStatus> {
    await this.whenLoaded();
    const model = this.get(name);
    const stored = (await this.store.scan()).models.find((m) => m.name === name)?.versions.find((v) => v.version === version);
    if (!stored) {
      throw new DomainError('VERSION_NOT_AVAILABLE', `model "${name}": version ${version} has no folder in MODELS_DIR`);
    }
    const status = this.statusFor(model, version);
    status.pinnedUnloaded = false;
    await this.startLoad(model, status, stored.fingerprint);
    return status;
  }

  /** Stops serving a version (in-flight requests finish first) and keeps it unloaded until loaded again. */
  async unload(name: string, version: number): Promise<VersionStatus> {
    const model = this.get(name);
    const status = model.versions.find((v) => v.version === version);
    if (!status) throw new DomainError('VERSION_NOT_AVAILABLE', `model "${name}": version ${version} does not exist; ${describeAvailable(model)}`);
    const othersReady = model.versions.some((other) => other !== status && other.state === 'READY');
    if (status.state === 'READY' && (model.configuredDefault === version || !othersReady)) {
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
    return status;
  }

  /** Reloads every version of a model and its config from disk, swapping each in when READY. */
  async reloadModel(name: string): Promise<ModelStatus> {
    await this.whenLoaded();
    const model = this.get(name);
    const stored = (await this.store.scan()).models.find((m) => m.name === name);
    if (!stored) throw new DomainError('MODEL_NOT_FOUND', `model "${name}" has no folder in MODELS_DIR any more`);
    this.applyConfig(model, stored);
    await Promise.all(
      stored.versions.map(({ version, fingerprint }) => {
        const status = this.statusFor(model, version);
        status.pinnedUnloaded = false;
        return this.startLoad(model, status, fingerprint);
      }),
    );
    return model;
  }

  /** Run-time default version, labels and weights; they win over config.json until cleared with `undefined`. */
  setOverrides(name: string, overrides: ModelConfigValues | undefined): ModelStatus {
    const model = this.get(name);
    const known = new Set(model.versions.map((v) => v.version));
    const referenced = [
      ...(overrides?.default_version !== undefined ? [overrides.default_version] : []),
      ...Object.values(overrides?.labels ?? {}),
      ...Object.keys(overrides?.weights ?? {}).map(Number),
    ];
    const unknown = referenced.filter((version) => !known.has(version));
    if (unknown.length > 0) {
      throw new DomainError(
        'INVALID_INPUT',
        `model "${name}" has no version ${[...new Set(unknown)].join(', ')}; ${describeAvailable(model)}`,
      );
    }
    const newDefault = overrides?.default_version;
    const defaultStatus = model.versions.find((v) => v.version === newDefault);
    if (newDefault !== undefined && defaultStatus?.state !== 'READY') {
      // A default that cannot serve would turn every request that names no version, and readiness, into a failure.
      throw new DomainError(
        'CONFLICT',
        `model "${name}": version ${newDefault} is ${defaultStatus?.state ?? 'unknown'}, not READY, so it cannot be the default; ${describeAvailable(model)}`,
      );
    }
    model.overrides = overrides;
    this.applyEffectiveConfig(model);
    this.logger.log(`Model ${name}: run-time config ${overrides ? JSON.stringify(overrides) : 'cleared'}`);
    return model;
  }

  private versionFor(model: ModelStatus, selector: VersionSelector): number | undefined {
    switch (selector.kind) {
      case 'default':
        return (
          pickWeightedVersion(
            model.name,
            model.weights,
            (version) => model.versions.some((v) => v.version === version && v.state === 'READY'),
            selector.requestKey,
          ) ?? this.defaultVersion(model)
        );
      case 'number':
        return selector.version;
      case 'label':
        // Own labels only: a label named "constructor" or "toString" must not find Object.prototype's members.
        return Object.hasOwn(model.labels, selector.label) ? model.labels[selector.label] : undefined;
    }
  }

  private defaultReady(model: ModelStatus): ReadyVersion | undefined {
    const version = this.defaultVersion(model);
    const status = model.versions.find((v) => v.version === version);
    return status?.state === 'READY' ? status.ready : undefined;
  }

  private async poll(): Promise<void> {
    if (this.syncing || !this.initialSync || this.stopped) return;
    await this.sync(false).catch((error) => this.logger.error(`Rescanning ${this.store.root} failed: ${messageOf(error)}`));
  }

  /** One pass over the repository; `immediate` loads changes without waiting for them to settle. */
  private sync(immediate: boolean): Promise<void> {
    const run = async () => {
      const { models, skipped } = await this.store.scan();
      if (!this.scanned) {
        for (const entry of skipped) this.logger.warn(`Ignoring ${entry.entry} in ${this.store.root}: ${entry.reason}`);
      }
      const now = Date.now();
      for (const stored of models) this.syncModel(stored, immediate, now);
      for (const model of [...this.models.values()]) {
        if (!models.some((stored) => stored.name === model.name)) this.retireModel(model);
      }
      if (!this.scanned && this.models.size === 0) this.logger.warn(`No models found in ${this.store.root}`);
      this.scanned = true;
    };
    const syncing = run().finally(() => {
      if (this.syncing === syncing) this.syncing = undefined;
    });
    this.syncing = syncing;
    return syncing;
  }

  private syncModel(stored: StoredModel, immediate: boolean, now: number): void {
    let model = this.models.get(stored.name);
    if (!model) {
      model = { name: stored.name, versions: [], labels: {}, configuredDefault: undefined, weights: {} };
      this.models.set(stored.name, model);
    }
    if (model.configFingerprint !== stored.configFingerprint) this.applyConfig(model, stored);
    for (const { version, fingerprint } of stored.versions) {
      const existing = model.versions.find((v) => v.version === version);
      if (existing?.pinnedUnloaded || existing?.loading || existing?.fingerprint === fingerprint) continue;
      if (!immediate && !this.settled(`${stored.name}/${version}`, fingerprint, now)) continue;
      this.pending.delete(`${stored.name}/${version}`);
      void this.startLoad(model, this.statusFor(model, version), fingerprint);
    }
    for (const status of [...model.versions]) {
      if (!stored.versions.some((v) => v.version === status.version)) this.retireVersion(model, status, 'removed from MODELS_DIR');
    }
  }

  /** True once a file's fingerprint has stayed the same for the settle time. */
  private settled(key: string, fingerprint: string, now: number): boolean {
    const seen = this.pending.get(key);
    if (!seen || seen.fingerprint !== fingerprint) {
      this.pending.set(key, { fingerprint, since: now });
      return this.options.settleMs === 0;
    }
    return now - seen.since >= this.options.settleMs;
  }

  private statusFor(model: ModelStatus, version: number): VersionStatus {
    let status = model.versions.find((v) => v.version === version);
    if (!status) {
      status = { version, state: 'LOADING' };
      model.versions.push(status);
      model.versions.sort((a, b) => a.version - b.version);
    }
    return status;
  }

  /**
   * Loads a version in the background. A first load makes it READY or FAILED;
   * a reload of a serving version swaps the new session in only when it is
   * READY, and a failed reload leaves the previous session serving.
   */
  private startLoad(model: ModelStatus, status: VersionStatus, fingerprint: string): Promise<void> {
    const id = `${model.name}/${status.version}`;
    const started = performance.now();
    status.loading = true;
    if (!status.ready) {
      status.state = 'LOADING';
      status.reason = undefined;
    }
    const load = loadVersion(
      this.store,
      this.engine,
      model.name,
      status.version,
      this.batchSettings(model),
      this.options.observe(model.name, status.version),
    ).then(
      (loaded) => {
        const stillWanted = model.versions.includes(status) && this.models.get(model.name) === model && !status.pinnedUnloaded && !this.stopped;
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
      this.loads.delete(tracked);
    });
    this.loads.add(tracked);
    return tracked;
  }

  private batchSettings(model: ModelStatus): BatchSettings {
    const defaults = this.options.batching;
    const own = model.fileConfig?.batching ?? {};
    return {
      enabled: own.enabled ?? defaults.enabled,
      maxBatchSize: own.max_batch_size ?? defaults.maxBatchSize,
      maxQueueDelayUs: own.max_queue_delay_us ?? defaults.maxQueueDelayUs,
      maxQueueSize: own.max_queue_size ?? defaults.maxQueueSize,
    };
  }

  private retireVersion(model: ModelStatus, status: VersionStatus, reason: string): void {
    model.versions = model.versions.filter((v) => v !== status);
    this.pending.delete(`${model.name}/${status.version}`);
    status.state = 'UNAVAILABLE';
    status.reason = reason;
    const ready = status.ready;
    status.ready = undefined;
    if (ready) {
      this.logger.log(`Model ${model.name}/${status.version} ${reason}: draining ${ready.inFlight} request(s), then releasing`);
      void ready.retire().then(() => this.options.forget(model.name, status.version));
    }
  }

  private retireModel(model: ModelStatus): void {
    for (const status of [...model.versions]) this.retireVersion(model, status, 'removed from MODELS_DIR');
    this.models.delete(model.name);
  }

  private applyConfig(model: ModelStatus, stored: StoredModel): void {
    model.configFingerprint = stored.configFingerprint;
    if (stored.config instanceof Error) {
      model.configError = stored.config.message;
      this.logger.error(`Model ${model.name}: ${model.configError} (the previous config stays in force)`);
      return;
    }
    model.configError = undefined;
    model.fileConfig = {
      default_version: stored.config.default_version,
      labels: stored.config.labels,
      weights: stored.config.weights,
      batching: stored.config.batching,
    };
    this.applyEffectiveConfig(model);
  }

  private applyEffectiveConfig(model: ModelStatus): void {
    const file = model.fileConfig ?? {};
    const effective = { ...file, ...model.overrides };
    model.configuredDefault = effective.default_version;
    model.labels = effective.labels ?? {};
    model.weights = effective.weights ?? {};
  }
}

function describeAvailable(model: ModelStatus): string {
  const ready = model.versions.filter((v) => v.state === 'READY').map((v) => v.version);
  const labels = Object.entries(model.labels).map(([label, version]) => `${label}=${version}`);
  return (
    `available versions: ${ready.length ? ready.join(', ') : 'none'}` +
    (labels.length ? `; labels: ${labels.join(', ')}` : '')
  );
}

function truncate(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}...` : value;
}
