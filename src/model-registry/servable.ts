import type { ModelStatus, VersionStatus } from './model-version';

/**
 * Whether a request may be given this version: READY, or not loaded yet but
 * loaded on its first request (AVAILABLE, which exists only with
 * MODEL_LOADING=lazy), or loading for a model whose versions load on demand
 * (its requests wait for the load). A version LOADING in a model loaded
 * eagerly is not: its requests are told to retry, as they always were.
 */
export function isServable(model: ModelStatus, status: VersionStatus): boolean {
  return status.state === 'READY' || status.state === 'AVAILABLE' || (status.state === 'LOADING' && model.loadsOnDemand === true);
}
