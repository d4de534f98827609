import { DomainError } from '../common/errors/domain-error';
import { describeAvailable, hasUsableConfig } from './model-config-state';
import type { ModelStatus, ReadyVersion, VersionStatus } from './model-version';
import { isServable } from './servable';
import { pickWeightedVersion } from './traffic-split';
import { describeSelector, type VersionSelector } from './requested-version';
import { formatRfc3339 } from './rfc3339';
import { type Deprecation, isRefused } from './version-deprecation';

// Which version of a model serves a request: by number, label, canary weights or default.

/**
 * The version a request without a selector gets when no canary split applies: the configured default, else
 * the highest READY version; for a model loaded on demand, the highest that is READY, LOADING or AVAILABLE
 * (the one an eager start would have loaded and served), never a FAILED one.
 */
export function defaultVersion(model: ModelStatus): number | undefined {
  if (model.configuredDefault !== undefined) return model.configuredDefault;
  const versions = model.versions;
  for (let i = versions.length - 1; i >= 0; i--) {
    const status = versions[i];
    if (status.state === 'READY' || (model.loadsOnDemand && isServable(model, status))) return status.version;
  }
  return undefined;
}

export function defaultReady(model: ModelStatus): ReadyVersion | undefined {
  const version = defaultVersion(model);
  const status = model.versions.find((v) => v.version === version);
  return status?.state === 'READY' ? status.ready : undefined;
}

/** The loaded version that serves this selector, or a 503 (still loading) or 404 naming what exists. */
export function chooseVersion(model: ModelStatus, selector: VersionSelector): ReadyVersion {
  const status = chosenStatus(model, selector);
  if (status.state === 'READY' && status.ready) return status.ready;
  throw notServing(model, selector, status);
}

/**
 * The version this selector picks, whatever its state, or a 503 (a default still loading) or 404 (a
 * model not served until its config is fixed, a label not defined, a version that does not exist).
 */
export function chosenStatus(model: ModelStatus, selector: VersionSelector): VersionStatus {
  if (model.configError && !hasUsableConfig(model)) {
    throw new DomainError('VERSION_NOT_AVAILABLE', `model "${model.name}" is not served until its config is fixed: ${model.configError.reason}`);
  }
  const wanted = versionFor(model, selector);
  const status = wanted === undefined ? undefined : model.versions.find((v) => v.version === wanted);
  if (status) return status;
  if (wanted === undefined && model.versions.some((v) => v.state === 'LOADING')) throw stillLoading(model, selector);
  const why = wanted === undefined ? `${describeSelector(selector)} is not defined` : `${describeSelector(selector)} does not exist`;
  throw new DomainError('VERSION_NOT_AVAILABLE', `model "${model.name}": ${why}; ${describeAvailable(model)}`);
}

/** Why a chosen version that is not READY cannot serve: still loading (503, retry) or not available (404, naming what is). */
export function notServing(model: ModelStatus, selector: VersionSelector, status: VersionStatus): DomainError {
  if (status.state === 'LOADING') return stillLoading(model, selector);
  return new DomainError(
    'VERSION_NOT_AVAILABLE',
    `model "${model.name}": ${describeSelector(selector)} is ${status.state}${status.reason ? ` (${status.reason})` : ''}; ${describeAvailable(model)}`,
  );
}

function stillLoading(model: ModelStatus, selector: VersionSelector): DomainError {
  return new DomainError('MODEL_LOADING', `model "${model.name}": ${describeSelector(selector)} is still LOADING; retry shortly`);
}

function versionFor(model: ModelStatus, selector: VersionSelector): number | undefined {
  switch (selector.kind) {
    case 'default':
      return (
        pickWeightedVersion(
          model.name,
          model.weights,
          (version) => model.versions.some((v) => v.version === version && isServable(model, v)),
          selector.requestKey,
        ) ?? defaultVersion(model)
      );
    case 'number':
      return selector.version;
    case 'label':
      // Own labels only: a label named "constructor" or "toString" must not find Object.prototype's members.
      return Object.hasOwn(model.labels, selector.label) ? model.labels[selector.label] : undefined;
  }
}

/**
 * Why a request for a version past its sunset, whose config says `refuse`, is refused (410), and what to
 * use instead: the default version, unless the default is this version or is refused too, which is said.
 * A request that names no version is refused as well when the default is such a version: the config
 * still points there, and serving another version than the one it names would hide that.
 */
export function sunsetRefusal(model: ModelStatus, version: number, deprecation: Deprecation, now: number): DomainError {
  const sunset = formatRfc3339(deprecation.sunsetAt ?? now);
  const fallback = defaultVersion(model);
  const fallbackDeprecation = fallback === undefined ? undefined : model.deprecations?.get(fallback);
  const instead =
    fallback === undefined
      ? 'the model has no default version to use instead'
      : fallback === version
        ? `it is the default version too, so requests that name no version are refused as well: make another version the default`
        : fallbackDeprecation && isRefused(fallbackDeprecation, now)
          ? `the default version ${fallback} is past its sunset too`
          : `use the default version ${fallback}`;
  const link = deprecation.config.link === undefined ? '' : ` (see ${deprecation.config.link})`;
  const message = `model "${model.name}": version ${version} was retired on ${sunset} (its sunset)${link}; ${instead}`;
  // The refusal still carries the notice: a client that only logs headers learns why, and where to read more.
  return new DomainError('VERSION_SUNSET', message, undefined, deprecation.notice);
}
