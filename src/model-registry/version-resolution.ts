import { DomainError } from '../common/errors/domain-error';
import { describeAvailable, hasUsableConfig } from './model-config-state';
import type { ModelStatus, ReadyVersion } from './model-version';
import { pickWeightedVersion } from './traffic-split';
import { describeSelector, type VersionSelector } from './requested-version';

// Which version of a model serves a request: by number, label, canary weights or default.

/** The version a request without a selector gets when no canary split applies: configured default, else highest READY. */
export function defaultVersion(model: ModelStatus): number | undefined {
  if (model.configuredDefault !== undefined) return model.configuredDefault;
  const ready = model.versions.filter((v) => v.state === 'READY');
  return ready.at(-1)?.version;
}

export function defaultReady(model: ModelStatus): ReadyVersion | undefined {
  const version = defaultVersion(model);
  const status = model.versions.find((v) => v.version === version);
  return status?.state === 'READY' ? status.ready : undefined;
}

/** The loaded version that serves this selector, or a 503 (still loading) or 404 naming what exists. */
export function chooseVersion(model: ModelStatus, selector: VersionSelector): ReadyVersion {
  if (model.configError && !hasUsableConfig(model)) {
    throw new DomainError('VERSION_NOT_AVAILABLE', `model "${model.name}" is not served until its config is fixed: ${model.configError.reason}`);
  }
  const wanted = versionFor(model, selector);
  const status = wanted === undefined ? undefined : model.versions.find((v) => v.version === wanted);
  if (status?.state === 'READY' && status.ready) return status.ready;
  const loading = status ? status.state === 'LOADING' : wanted === undefined && model.versions.some((v) => v.state === 'LOADING');
  if (loading) {
    throw new DomainError('MODEL_LOADING', `model "${model.name}": ${describeSelector(selector)} is still LOADING; retry shortly`);
  }
  const why =
    wanted === undefined
      ? `${describeSelector(selector)} is not defined`
      : !status
        ? `${describeSelector(selector)} does not exist`
        : `${describeSelector(selector)} is ${status.state}${status.reason ? ` (${status.reason})` : ''}`;
  throw new DomainError('VERSION_NOT_AVAILABLE', `model "${model.name}": ${why}; ${describeAvailable(model)}`);
}

function versionFor(model: ModelStatus, selector: VersionSelector): number | undefined {
  switch (selector.kind) {
    case 'default':
      return (
        pickWeightedVersion(
          model.name,
          model.weights,
          (version) => model.versions.some((v) => v.version === version && v.state === 'READY'),
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
