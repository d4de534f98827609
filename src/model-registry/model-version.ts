import type { LoadedModel } from '../inference/engine-contracts';
import type { ResponseCache } from '../inference/response-cache';
import type { VersionManifest } from './manifest';
import type { ModelConfigValues } from './model-config';
import type { ShadowInForce } from './shadow-config';
import type { Deprecation } from './version-deprecation';

/**
 * AVAILABLE: found in the repository and not loaded (MODEL_LOADING=lazy): its first request loads it, and
 * a version unloaded to stay within MODEL_MEMORY_BUDGET_BYTES goes back to it.
 */
export const VERSION_STATES = ['AVAILABLE', 'LOADING', 'READY', 'FAILED', 'UNAVAILABLE'] as const;
export type VersionState = (typeof VERSION_STATES)[number];

/** A version that can serve: its compiled model, what its manifest says, and where it came from. */
export interface ReadyVersion {
  readonly name: string;
  readonly version: number;
  readonly manifest: VersionManifest | undefined;
  readonly model: LoadedModel;
  readonly sha256: string;
  /** Answers to repeated identical inputs, when the model's config.json asks for a cache. */
  readonly cache?: ResponseCache;
  /** Set while the version is deprecated: its answers carry the notice, and after a sunset it may refuse them. */
  readonly deprecation?: Deprecation;
  /** Marks a request as using this version until `leave`; a retired version is released only after its last one. */
  enter(): void;
  leave(): void;
}

/**
 * A loaded version that counts the requests using it, so that a version
 * removed or replaced while requests run is released only once they finish.
 */
export class ServingVersion implements ReadyVersion {
  private active = 0;
  private retired: (() => void) | undefined;
  /** Follows the config in force (syncDeprecations): a change of it applies without reloading the session. */
  deprecation: Deprecation | undefined = undefined;

  constructor(
    readonly name: string,
    readonly version: number,
    readonly manifest: VersionManifest | undefined,
    readonly model: LoadedModel,
    readonly sha256: string,
    readonly cache?: ResponseCache,
  ) {}

  enter(): void {
    this.active++;
  }

  leave(): void {
    this.active--;
    if (this.active === 0) this.retired?.();
  }

  get inFlight(): number {
    return this.active;
  }

  /** Waits for the requests already using this version, then releases its session. */
  async retire(): Promise<void> {
    if (this.active > 0) await new Promise<void>((resolve) => (this.retired = resolve));
    await this.model.release().catch(() => undefined);
  }
}

/** One version as the registry tracks it through its life. */
export interface VersionStatus {
  readonly version: number;
  state: VersionState;
  /** Why the version is FAILED or UNAVAILABLE, or why its last reload failed. */
  reason?: string;
  ready?: ServingVersion;
  /** The files (size, mtime) the current state was built from; a change triggers a reload. */
  fingerprint?: string;
  /** An administrator unloaded it: the repository watcher leaves it alone until it is loaded again. */
  pinnedUnloaded?: boolean;
  /** A load is running for this version. */
  loading?: boolean;
  /**
   * Its files' sha256 is not the one config.json declares: its last load was refused for that, or its
   * session was retired when the declaration changed. A later change of the declaration loads it again.
   */
  refusedByDigest?: boolean;
  /** When a request last acquired it (a counter, not a time): the least recently used is unloaded first. */
  lastUsed?: number;
}

export interface ModelStatus {
  readonly name: string;
  /** Ascending by version number. */
  versions: VersionStatus[];
  labels: Readonly<Record<string, number>>;
  configuredDefault: number | undefined;
  /** Share of default traffic per version (canary split), from config or the admin API. */
  weights: Readonly<Record<string, number>>;
  /** Why config.json on disk is refused, while it is (the last good config, if any, stays in force). */
  configError?: ConfigError;
  configFingerprint?: string;
  /** Where its config is read from, as reasons name it: `<name>/config.json` or `MODEL_CONFIG_DIR/<name>.json`. */
  configFile?: string;
  /** The last usable config.json; none while the model never had one (then it is not served). */
  fileConfig?: ModelConfigValues;
  /** Set at run time through the admin API; wins over config.json until cleared. */
  overrides?: ModelConfigValues;
  /** The deprecated versions' deprecations in force, from config.json and the run-time config (version-deprecation.ts). */
  deprecations?: ReadonlyMap<number, Deprecation>;
  /** Its versions load on their first request (MODEL_LOADING=lazy and not in REQUIRED_MODELS), not when found. */
  loadsOnDemand?: boolean;
  /** The shadow version compared with the serving one, from config or the admin API; none by default. */
  shadow?: ShadowInForce;
}

/** A config.json the registry refused: which file, why, and since when it has been refused. */
export interface ConfigError {
  /** As reasons name it: `<name>/config.json` or `MODEL_CONFIG_DIR/<name>.json`. */
  readonly file: string;
  readonly reason: string;
  /** When the file on disk was first refused; a later broken write keeps it. */
  readonly since: Date;
}

export type { ModelConfigValues };
