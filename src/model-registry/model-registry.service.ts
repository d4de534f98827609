import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import { INFERENCE_ENGINE, type InferenceEngine } from '../inference/inference-engine';
import { warmUp } from '../inference/warm-up';
import { checkManifestFitsModel } from './manifest-checks';
import { ModelStore } from './model-store';
import type { ModelStatus, ReadyVersion, VersionStatus } from './model-version';
import { describeSelector, type VersionSelector } from './version-selector';

export const MODEL_STORE = Symbol('MODEL_STORE');

/**
 * Holds every model version and its state, and answers "which loaded version
 * serves this request". Loading runs in the background after bootstrap so the
 * server can answer liveness (and readiness 503) while models warm up.
 */
@Injectable()
export class ModelRegistry implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ModelRegistry.name);
  private readonly models = new Map<string, ModelStatus>();
  private loading: Promise<void> | undefined;
  private scanned = false;

  constructor(
    @Inject(MODEL_STORE) private readonly store: ModelStore,
    @Inject(INFERENCE_ENGINE) private readonly engine: InferenceEngine,
  ) {}

  onApplicationBootstrap(): void {
    this.loading = this.loadAll();
  }

  /** Resolves once every version found at start has finished loading (READY or FAILED). */
  whenLoaded(): Promise<void> {
    this.loading ??= this.loadAll();
    return this.loading;
  }

  async onModuleDestroy(): Promise<void> {
    await this.loading?.catch(() => undefined);
    for (const model of this.models.values()) {
      for (const status of model.versions) {
        const ready = status.ready;
        status.ready = undefined;
        status.state = 'UNAVAILABLE';
        status.reason = 'service shutting down';
        await ready?.model.release().catch(() => undefined);
      }
    }
  }

  list(): readonly ModelStatus[] {
    return [...this.models.values()];
  }

  /** True once the repository has been scanned and every model's default version is READY. */
  isReady(): boolean {
    return this.scanned && [...this.models.values()].every((model) => this.defaultReady(model) !== undefined);
  }

  get(name: string): ModelStatus {
    const model = this.models.get(name);
    if (!model) {
      const known = [...this.models.keys()];
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
    const why =
      wanted === undefined
        ? `${describeSelector(selector)} is not defined`
        : !status
          ? `${describeSelector(selector)} does not exist`
          : `${describeSelector(selector)} is ${status.state}${status.reason ? ` (${status.reason})` : ''}`;
    throw new DomainError('VERSION_NOT_AVAILABLE', `model "${name}": ${why}; ${describeAvailable(model)}`);
  }

  /** The version a request without a selector gets: the configured default, else the highest READY one. */
  defaultVersion(model: ModelStatus): number | undefined {
    if (model.configuredDefault !== undefined) return model.configuredDefault;
    const ready = model.versions.filter((v) => v.state === 'READY');
    return ready.at(-1)?.version;
  }

  private defaultReady(model: ModelStatus): ReadyVersion | undefined {
    const version = this.defaultVersion(model);
    const status = model.versions.find((v) => v.version === version);
    return status?.state === 'READY' ? status.ready : undefined;
  }

  private versionFor(model: ModelStatus, selector: VersionSelector): number | undefined {
    switch (selector.kind) {
      case 'default':
        return this.defaultVersion(model);
      case 'number':
        return selector.version;
      case 'label':
        return model.labels[selector.label];
    }
  }

  private async loadAll(): Promise<void> {
    const { models, skipped } = await this.store.scan();
    for (const entry of skipped) {
      this.logger.warn(`Ignoring ${entry.entry} in ${this.store.root}: ${entry.reason}`);
    }
    for (const stored of models) {
      const configError = stored.config instanceof Error ? stored.config.message : undefined;
      const config = stored.config instanceof Error ? undefined : stored.config;
      this.models.set(stored.name, {
        name: stored.name,
        versions: stored.versions.map((version): VersionStatus => ({ version, state: 'LOADING' })),
        labels: config?.labels ?? {},
        configuredDefault: config?.default_version,
        configError,
      });
    }
    this.scanned = true;
    if (this.models.size === 0) this.logger.warn(`No models found in ${this.store.root}`);
    await Promise.all(
      [...this.models.values()].flatMap((model) => model.versions.map((status) => this.loadVersion(model, status))),
    );
  }

  private async loadVersion(model: ModelStatus, status: VersionStatus): Promise<void> {
    const id = `${model.name}/${status.version}`;
    const started = performance.now();
    try {
      if (model.configError) throw new Error(`model config unusable: ${model.configError}`);
      const stored = await this.store.readVersion(model.name, status.version);
      const loaded = await this.engine.load(stored.bytes, id);
      try {
        if (stored.manifest) checkManifestFitsModel(stored.manifest, loaded.inputs, loaded.outputs);
      } catch (error) {
        await loaded.release().catch(() => undefined);
        throw new Error(`manifest does not fit the model: ${messageOf(error)}`);
      }
      try {
        await warmUp(loaded);
      } catch (error) {
        await loaded.release().catch(() => undefined);
        throw new Error(`warm-up inference failed: ${messageOf(error)}`);
      }
      status.ready = { name: model.name, version: status.version, manifest: stored.manifest, model: loaded, sha256: stored.sha256 };
      status.state = 'READY';
      this.logger.log(`Model ${id} READY (loaded and warmed in ${Math.round(performance.now() - started)} ms)`);
    } catch (error) {
      status.state = 'FAILED';
      status.reason = messageOf(error);
      this.logger.error(`Model ${id} FAILED: ${status.reason}`);
    }
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function truncate(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}...` : value;
}
