import type { Logger } from '@nestjs/common';
import { applyFileConfig, hasUsableConfig } from './model-config-state';
import { versionsWithChangedDigest } from './model-digest';
import type { ModelSource } from './model-source';
import type { StoredModel } from './model-store';
import type { ModelTable } from './model-table';
import type { ModelStatus } from './model-version';
import type { VersionLifecycle } from './version-lifecycle';

interface PendingChange {
  fingerprint: string;
  since: number;
}

const REMOVED = 'removed from MODELS_DIR';

/**
 * Brings the model table in line with MODELS_DIR: new versions are loaded (or,
 * for a model loaded on demand, listed AVAILABLE),
 * changed files reloaded (once they have stopped changing for `settleMs`, so
 * half-copied files are never loaded), removed versions and models retired,
 * and config.json changes applied.
 */
export class RepositorySync {
  private readonly pending = new Map<string, PendingChange>();
  private syncing: Promise<void> | undefined;
  /** True once the repository has been read at least once. */
  scanned = false;

  constructor(
    private readonly store: ModelSource,
    private readonly table: ModelTable,
    private readonly loads: VersionLifecycle,
    private readonly settleMs: number,
    private readonly logger: Logger,
  ) {}

  /** The pass running now, if one is. */
  get running(): Promise<void> | undefined {
    return this.syncing;
  }

  /** One pass over the repository; `immediate` loads changes without waiting for them to settle. */
  run(immediate: boolean): Promise<void> {
    const pass = async () => {
      const { models, skipped } = await this.store.scan();
      if (!this.scanned) {
        for (const entry of skipped) this.logger.warn(`Ignoring ${entry.entry} in ${this.store.root}: ${entry.reason}`);
      }
      const now = Date.now();
      for (const stored of models) this.syncModel(stored, immediate, now);
      const listed = new Set(models.map((stored) => stored.name));
      for (const model of this.table.list()) {
        if (!listed.has(model.name)) this.retireModel(model);
      }
      if (!this.scanned && this.table.size === 0) this.logger.warn(`No models found in ${this.store.root}`);
      this.scanned = true;
    };
    const syncing = pass().finally(() => {
      if (this.syncing === syncing) this.syncing = undefined;
    });
    this.syncing = syncing;
    return syncing;
  }

  /**
   * Applies a model's config.json; an unusable one leaves the previous config in force. Called when
   * the file changed, so each change is logged once, however many polls see it.
   */
  applyConfig(model: ModelStatus, stored: StoredModel): void {
    const refusedBefore = model.configError !== undefined;
    const declaredBefore = model.fileConfig?.versions;
    const error = applyFileConfig(model, stored);
    if (error) {
      const inForce = hasUsableConfig(model)
        ? 'the previous config stays in force'
        : 'the model is not served until it is fixed';
      this.logger.warn(`Model ${model.name}: config refused, ${inForce}: ${error.reason}`);
      return;
    }
    if (refusedBefore) this.logger.log(`Model ${model.name}: ${stored.configFile} accepted again, its config is in force`);
    this.applyDeclaredDigests(model, stored, versionsWithChangedDigest(declaredBefore, model.fileConfig?.versions));
  }

  /**
   * A serving version whose bytes the new declaration refuses stops serving; files refused by their
   * digest before are loaded again by this pass, the declaration may accept them now. Their
   * fingerprint is what kept them from being reloaded: it is cleared, and their files count as settled.
   */
  private applyDeclaredDigests(model: ModelStatus, stored: StoredModel, changed: readonly number[]): void {
    for (const status of this.loads.applyDeclaredDigests(model, changed)) {
      const files = stored.versions.find((v) => v.version === status.version)?.fingerprint;
      // Files changed since their refusal are new files: loaded once they settle, as any are.
      if (files === undefined || files !== status.fingerprint) continue;
      status.fingerprint = undefined;
      this.pending.set(`${model.name}/${status.version}`, { fingerprint: files, since: Number.NEGATIVE_INFINITY });
    }
  }

  private syncModel(stored: StoredModel, immediate: boolean, now: number): void {
    const model = this.table.findOrAdd(stored.name);
    const trigger = this.scanned ? 'reload' : 'start';
    if (model.configFingerprint !== stored.configFingerprint) this.applyConfig(model, stored);
    for (const { version, fingerprint } of stored.versions) {
      const existing = model.versions.find((v) => v.version === version);
      if (existing?.pinnedUnloaded || existing?.loading || existing?.fingerprint === fingerprint) continue;
      if (!immediate && !this.settled(`${stored.name}/${version}`, fingerprint, now)) continue;
      if (!hasUsableConfig(model)) {
        // Not loaded (VersionLifecycle.start says why); the files count as settled, so a fixed config loads them on the next pass.
        if (immediate) this.pending.set(`${stored.name}/${version}`, { fingerprint, since: Number.NEGATIVE_INFINITY });
        this.loads.found(model, this.table.statusFor(model, version), fingerprint, trigger);
        continue;
      }
      this.pending.delete(`${stored.name}/${version}`);
      this.loads.found(model, this.table.statusFor(model, version), fingerprint, trigger);
    }
    for (const status of [...model.versions]) {
      if (!stored.versions.some((v) => v.version === status.version)) {
        this.pending.delete(`${model.name}/${status.version}`);
        this.loads.retire(model, status, REMOVED);
      }
    }
  }

  /** True once a file's fingerprint has stayed the same for the settle time. */
  private settled(key: string, fingerprint: string, now: number): boolean {
    const seen = this.pending.get(key);
    if (!seen || seen.fingerprint !== fingerprint) {
      this.pending.set(key, { fingerprint, since: now });
      return this.settleMs === 0;
    }
    return now - seen.since >= this.settleMs;
  }

  private retireModel(model: ModelStatus): void {
    for (const status of [...model.versions]) {
      this.pending.delete(`${model.name}/${status.version}`);
      this.loads.retire(model, status, REMOVED);
    }
    this.table.remove(model);
  }
}
