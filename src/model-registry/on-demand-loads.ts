import type { Logger } from '@nestjs/common';
import { DomainError } from '../common/errors/domain-error';
import { MemoryBudget, type MemoryUse } from './memory-budget';
import type { LoadingOptions, ModelLoadObserver } from './model-loads';
import type { ModelTable } from './model-table';
import type { ModelStatus, ReadyVersion, VersionStatus } from './model-version';
import type { VersionSelector } from './requested-version';
import { chosenStatus, notServing } from './version-resolution';
import type { VersionLifecycle } from './version-lifecycle';

/**
 * Loads a version on the request that needs it (MODEL_LOADING=lazy) and keeps
 * what is loaded within the memory budget. The first request for an AVAILABLE
 * version starts its load; every request for it while it loads waits for that
 * same load, each no longer than MODEL_LOAD_WAIT_MS and its own deadline. A
 * request that stops waiting is told to retry (503 with Retry-After); the load
 * goes on, and a later request gets the loaded version. In eager mode a version
 * that is not READY is refused as it always was.
 */
export class OnDemandLoads {
  private readonly lazy: boolean;
  private readonly budget: MemoryBudget;
  /** Counts acquisitions: a version's last one orders the least recently used. */
  private uses = 0;

  constructor(
    private readonly lifecycle: VersionLifecycle,
    table: ModelTable,
    private readonly options: LoadingOptions,
    observer: ModelLoadObserver,
    logger: Logger,
    runtimeBytes?: () => number,
  ) {
    this.lazy = options.mode === 'lazy';
    const unload = (model: ModelStatus, status: VersionStatus, why: string) => lifecycle.evict(model, status, why);
    // Only lazy mode unloads: in eager mode every version found stays loaded (a budget is refused at start).
    this.budget = new MemoryBudget(this.lazy ? options.budgetBytes : 0, table, unload, observer, logger, runtimeBytes, options.driftSeries ?? true);
  }

  /** Marks a version acquired by a request, as the least-recently-used order counts. */
  touch(status: VersionStatus): void {
    status.lastUsed = ++this.uses;
  }

  /** A version has become READY: unload what must go to stay within the budget. */
  loaded(status: VersionStatus): void {
    this.budget.enforce(status);
  }

  memoryUse(): MemoryUse {
    return this.budget.use();
  }

  /** The chosen version that is not READY: loaded and waited for in lazy mode, else refused (503 loading, or 404). */
  serve(model: ModelStatus, status: VersionStatus, selector: VersionSelector, deadline?: number): Promise<ReadyVersion> {
    if (!this.lazy || (status.state !== 'AVAILABLE' && status.state !== 'LOADING')) throw notServing(model, selector, status);
    return this.waitFor(model, status, selector, deadline);
  }

  private async waitFor(model: ModelStatus, status: VersionStatus, selector: VersionSelector, deadline?: number): Promise<ReadyVersion> {
    let load = this.lifecycle.loading(status);
    if (!load) {
      if (status.state !== 'AVAILABLE') throw notServing(model, selector, status);
      load = this.lifecycle.start(model, status, status.fingerprint ?? '', 'request');
    }
    const waitMs = Math.min(this.options.waitMs, (deadline ?? Number.POSITIVE_INFINITY) - Date.now());
    if (!(await settlesWithin(load, waitMs))) {
      throw new DomainError(
        'MODEL_LOADING',
        `model "${model.name}": version ${status.version} is LOADING on demand and was not ready within ${Math.max(0, Math.round(waitMs))} ms; retry shortly`,
      );
    }
    if (status.state === 'READY' && status.ready) return status.ready;
    // A request that named no version goes on to the next default, as an eager start would have served it.
    const next = selector.kind === 'default' && status.state === 'FAILED' ? chosenStatus(model, selector) : status;
    if (next !== status) return next.state === 'READY' && next.ready ? next.ready : this.serve(model, next, selector, deadline);
    // A failed load answers as a FAILED version does (404 with its reason), and is not tried again until its files change.
    throw notServing(model, selector, status);
  }
}

/** Whether the load settles within `ms` (at once false when `ms` is not positive); it goes on either way. */
async function settlesWithin(load: Promise<void>, ms: number): Promise<boolean> {
  if (!(ms > 0)) return false;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([load.then(() => true, () => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
