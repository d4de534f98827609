import type { LoadedModel } from '../inference/inference-engine';
import type { VersionManifest } from './manifest';

export const VERSION_STATES = ['LOADING', 'READY', 'FAILED', 'UNAVAILABLE'] as const;
export type VersionState = (typeof VERSION_STATES)[number];

/** A version that can serve: its compiled model, what its manifest says, and where it came from. */
export interface ReadyVersion {
  readonly name: string;
  readonly version: number;
  readonly manifest: VersionManifest | undefined;
  readonly model: LoadedModel;
  readonly sha256: string;
}

/** One version as the registry tracks it through its life. */
export interface VersionStatus {
  readonly version: number;
  state: VersionState;
  /** Why the version is FAILED or UNAVAILABLE. */
  reason?: string;
  ready?: ReadyVersion;
}

export interface ModelStatus {
  readonly name: string;
  /** Ascending by version number. */
  readonly versions: VersionStatus[];
  readonly labels: Readonly<Record<string, number>>;
  readonly configuredDefault: number | undefined;
  /** Why config.json could not be used, if it could not. */
  readonly configError?: string;
}
