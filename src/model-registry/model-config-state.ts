import { DomainError } from '../common/errors/domain-error';
import type { BatchSettings } from '../inference/batcher';
import type { StoredModel } from './model-store';
import type { ConfigError, ModelConfigValues, ModelStatus, VersionStatus } from './model-version';
import { isServable } from './servable';
import { shadowInForce } from './shadow-config';
import { deprecationsOf } from './version-deprecation';

// A model's config in force: config.json (or MODEL_CONFIG_DIR's copy) merged
// with run-time overrides from the admin API, field by field.

/**
 * Takes a stored model's config.json. Returns why it cannot be used, if it
 * cannot: then the last good config stays in force (see hasUsableConfig).
 */
export function applyFileConfig(model: ModelStatus, stored: StoredModel, now = new Date()): ConfigError | undefined {
  model.configFingerprint = stored.configFingerprint;
  model.configFile = stored.configFile;
  if (stored.config instanceof Error) {
    model.configError = { file: stored.configFile, reason: stored.config.message, since: model.configError?.since ?? now };
    return model.configError;
  }
  model.configError = undefined;
  model.fileConfig = {
    default_version: stored.config.default_version,
    labels: stored.config.labels,
    weights: stored.config.weights,
    batching: stored.config.batching,
    cache: stored.config.cache,
    versions: stored.config.versions,
    shadow: stored.config.shadow,
  };
  applyEffectiveConfig(model, now);
  return undefined;
}

/**
 * Whether the model has a config to serve with: config.json (or no file, which
 * is an empty config) was usable at least once. A model whose config was refused
 * from the start is not served: the default version, labels and cache it asks
 * for are unknown, and guessing them could answer with the wrong version.
 */
export function hasUsableConfig(model: ModelStatus): boolean {
  return model.fileConfig !== undefined;
}

/**
 * Sets run-time overrides (or clears them with `undefined`) after checking
 * that every version they name exists and that a new default is READY.
 */
export function applyOverrides(model: ModelStatus, overrides: ModelConfigValues | undefined): void {
  const known = new Set(model.versions.map((v) => v.version));
  const referenced = [
    ...(overrides?.default_version !== undefined ? [overrides.default_version] : []),
    ...Object.values(overrides?.labels ?? {}),
    ...Object.keys(overrides?.weights ?? {}).map(Number),
    ...Object.keys(overrides?.versions ?? {}).map(Number),
  ];
  const unknown = referenced.filter((version) => !known.has(version));
  if (unknown.length > 0) {
    throw new DomainError(
      'INVALID_INPUT',
      `model "${model.name}" has no version ${[...new Set(unknown)].join(', ')}; ${describeAvailable(model)}`,
    );
  }
  const newDefault = overrides?.default_version;
  const defaultStatus = model.versions.find((v) => v.version === newDefault);
  // A model loaded on demand may default to a version not loaded yet: its first request loads it.
  const canBeDefault = defaultStatus?.state === 'READY' || (model.loadsOnDemand === true && defaultStatus !== undefined && isServable(model, defaultStatus));
  if (newDefault !== undefined && !canBeDefault) {
    // A default that cannot serve would turn every request that names no version, and readiness, into a failure.
    throw new DomainError(
      'CONFLICT',
      `model "${model.name}": version ${newDefault} is ${defaultStatus?.state ?? 'unknown'}, not READY, so it cannot be the default; ${describeAvailable(model)}`,
    );
  }
  model.overrides = overrides;
  applyEffectiveConfig(model);
}

function applyEffectiveConfig(model: ModelStatus, now = new Date()): void {
  const effective = { ...model.fileConfig, ...model.overrides };
  model.configuredDefault = effective.default_version;
  model.labels = effective.labels ?? {};
  model.weights = effective.weights ?? {};
  model.shadow = shadowInForce(model.shadow, effective.shadow, now);
  // Merged per version, not replaced whole as the other fields are (deprecationsOf).
  model.deprecations = deprecationsOf(model.fileConfig?.versions, model.overrides?.versions, model.deprecations, now.getTime());
  for (const status of model.versions) syncDeprecation(model, status);
}

/**
 * Hands a loaded version the deprecation in force for it: on every config change, and when a session is
 * swapped in. The session itself is left alone: deprecating a version never reloads it.
 */
export function syncDeprecation(model: ModelStatus, status: VersionStatus): void {
  if (status.ready) status.ready.deprecation = model.deprecations?.get(status.version);
}

/** The service-wide batching settings with the model's config.json "batching" fields on top. */
export function batchSettingsFor(model: ModelStatus, defaults: BatchSettings): BatchSettings {
  const own = model.fileConfig?.batching ?? {};
  return {
    enabled: own.enabled ?? defaults.enabled,
    maxBatchSize: own.max_batch_size ?? defaults.maxBatchSize,
    maxQueueDelayUs: own.max_queue_delay_us ?? defaults.maxQueueDelayUs,
    maxQueueSize: own.max_queue_size ?? defaults.maxQueueSize,
  };
}

/** "available versions: 1, 2; labels: stable=1": what error messages offer instead (those a request may be given). */
export function describeAvailable(model: ModelStatus): string {
  const ready = model.versions.filter((v) => isServable(model, v)).map((v) => v.version);
  const labels = Object.entries(model.labels).map(([label, version]) => `${label}=${version}`);
  return (
    `available versions: ${ready.length ? ready.join(', ') : 'none'}` +
    (labels.length ? `; labels: ${labels.join(', ')}` : '')
  );
}
