import type { ModelStatus, VersionStatus } from './model-version';

/**
 * Every model and the state of each of its versions: what the registry
 * answers requests from, and what the repository sync and the version loads
 * update.
 */
export class ModelTable {
  private readonly models = new Map<string, ModelStatus>();

  /** @param loadsOnDemand whether a model of this name has its versions loaded on their first request (lazy mode). */
  constructor(private readonly loadsOnDemand: (name: string) => boolean = () => false) {}

  get size(): number {
    return this.models.size;
  }

  find(name: string): ModelStatus | undefined {
    return this.models.get(name);
  }

  /** The model of this name, added with no versions and no config if it is new. */
  findOrAdd(name: string): ModelStatus {
    let model = this.models.get(name);
    if (!model) {
      model = { name, versions: [], labels: {}, configuredDefault: undefined, weights: {} };
      if (this.loadsOnDemand(name)) model.loadsOnDemand = true;
      this.models.set(name, model);
    }
    return model;
  }

  remove(model: ModelStatus): void {
    if (this.models.get(model.name) === model) this.models.delete(model.name);
  }

  /** Whether this very entry is still in the table (a model removed and added again is a new entry). */
  holds(model: ModelStatus): boolean {
    return this.models.get(model.name) === model;
  }

  /** By name. */
  list(): ModelStatus[] {
    return [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The status of one version, added as LOADING (in version order) if the model has none yet. */
  statusFor(model: ModelStatus, version: number): VersionStatus {
    let status = model.versions.find((v) => v.version === version);
    if (!status) {
      status = { version, state: 'LOADING' };
      model.versions.push(status);
      model.versions.sort((a, b) => a.version - b.version);
    }
    return status;
  }
}
