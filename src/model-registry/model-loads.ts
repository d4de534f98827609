/**
 * What started a version's load, as the load metrics count it: the first read of the repository, a request
 * for a version not loaded (MODEL_LOADING=lazy), new or changed files found later, or the admin API.
 */
export type LoadTrigger = 'start' | 'request' | 'reload' | 'admin';

export type LoadOutcome = 'ready' | 'failed';

/**
 * Where the registry reports its loads and unloads, for metrics. Declared here and provided by
 * observability/ (MODEL_LOAD_OBSERVER), so the registry depends only downward.
 */
export interface ModelLoadObserver {
  onLoad(trigger: LoadTrigger, outcome: LoadOutcome, seconds: number): void;
  /** A version was unloaded to stay within MODEL_MEMORY_BUDGET_BYTES. */
  onEviction(): void;
}

export const MODEL_LOAD_OBSERVER = Symbol('MODEL_LOAD_OBSERVER');

export const NO_LOAD_OBSERVER: ModelLoadObserver = { onLoad: () => undefined, onEviction: () => undefined };

/** How the registry loads versions (MODEL_LOADING, MODEL_LOAD_WAIT_MS, MODEL_MEMORY_BUDGET_BYTES). */
export interface LoadingOptions {
  /** `lazy`: versions of models not in REQUIRED_MODELS load on their first request, not when found. */
  mode: 'eager' | 'lazy';
  /** How long a request waits for the load it started (or joined) before a 503 tells it to retry. */
  waitMs: number;
  /** This process's share of MODEL_MEMORY_BUDGET_BYTES; 0: no budget. Only lazy mode unloads to keep it. */
  budgetBytes: number;
  /** Whether loaded versions export drift series (DRIFT_ENABLED), which their estimate counts; true when not said. */
  driftSeries?: boolean;
}

export const EAGER_LOADING: LoadingOptions = { mode: 'eager', waitMs: 10_000, budgetBytes: 0 };
