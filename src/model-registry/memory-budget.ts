import type { Logger } from '@nestjs/common';
import type { ModelLoadObserver } from './model-loads';
import type { ModelTable } from './model-table';
import type { VersionManifest } from './manifest';
import type { ModelStatus, ReadyVersion, VersionStatus } from './model-version';
import { defaultVersion } from './version-resolution';

/** The loaded versions of this process and their estimated memory, against its budget: what the metrics show. */
export interface MemoryUse {
  readonly loadedVersions: number;
  /** Sum of the loaded versions' estimates (inference/resident-bytes.ts), and of the runtime running them. */
  readonly estimatedBytes: number;
  /** This process's share of MODEL_MEMORY_BUDGET_BYTES; 0: none. */
  readonly budgetBytes: number;
  /** Over the budget with nothing that may be unloaded. */
  readonly overBudget: boolean;
}

/**
 * Counted for every loaded version on top of its sessions' estimate (inference/resident-bytes.ts) when a
 * budget is kept: the version's own objects on the JS heap (its batcher, metric series, manifest, drift
 * windows: about 100 kB) and what the allocator keeps of the sessions loaded and released before it
 * (about 150 kB each for an iris-sized model after a thousand loads and unloads). Both measured with
 * bench/many-models.mjs; without them the budget held 183 iris versions per process where 75 fit.
 */
export const LOADED_VERSION_OVERHEAD_BYTES = 256_000;

/**
 * The resident memory a /metrics scrape adds per series: every HTTP process collects its series and sends
 * them to the primary, which merges them and sends the text back. Measured with bench/many-models.mjs:
 * about 128 MB more RSS across the pod for 60,000 series (452 iris versions loaded), and V8 gives it back
 * only about a minute later, so under a Prometheus scraping every 15 to 60 s it stays. Counted for each
 * loaded version's series: without it the pod's RSS went 30 to 70 MB over the budget after scrapes.
 */
export const SCRAPE_BYTES_PER_SERIES = 2_000;

/**
 * The series every loaded version exports, whatever its manifest: its batch size, queue time and
 * inference time histograms (12, 14 and 15 buckets, each with a sum and a count) and its queue depth.
 * test/lazy-loading.e2e.spec.ts counts them on a real scrape.
 */
export const SERIES_PER_LOADED_VERSION = 48;

/**
 * The series a loaded version adds to a scrape: SERIES_PER_LOADED_VERSION, and with drift monitoring its
 * drift reference's (per feature: each bin observed and in the reference, and a PSI; the predicted class
 * likewise; and the window's size).
 */
export function seriesOfLoadedVersion(manifest: VersionManifest | undefined, driftSeries: boolean): number {
  const drift = driftSeries ? manifest?.drift : undefined;
  if (!drift) return SERIES_PER_LOADED_VERSION;
  let series = SERIES_PER_LOADED_VERSION + 1;
  for (const feature of drift.features.values()) series += 2 * feature.counts.length + 1;
  if (drift.predictions) series += 2 * drift.predictions.counts.length + 1;
  return series;
}

interface Loaded {
  readonly model: ModelStatus;
  readonly status: VersionStatus;
  readonly bytes: number;
}

/**
 * Keeps the loaded versions of this process within its memory budget
 * (MODEL_MEMORY_BUDGET_BYTES / HTTP_PROCESSES, lazy mode): after each load,
 * while their estimated bytes exceed it, the least recently used version that
 * may go is unloaded back to AVAILABLE. Never one with requests in flight, one
 * (re)loading, the default version of a required model (readiness waits for
 * it), or the version just loaded (its requests are waiting for it). When
 * nothing more may go, the process stays over budget: logged once, and shown
 * by the metrics until it is back within.
 */
export class MemoryBudget {
  private stuck = false;

  constructor(
    private readonly budgetBytes: number,
    private readonly table: ModelTable,
    private readonly unload: (model: ModelStatus, status: VersionStatus, why: string) => void,
    private readonly observer: ModelLoadObserver,
    private readonly logger: Logger,
    /** What the inference engine itself holds once it runs a model (InferenceEngine.runtimeBytes). */
    private readonly runtimeBytes: () => number = () => 0,
    /** Whether loaded versions export drift series (DRIFT_ENABLED): their scrape share counts them. */
    private readonly driftSeries = true,
  ) {}

  use(): MemoryUse {
    const loaded = this.loaded();
    const estimatedBytes = this.runtimeBytes() + total(loaded);
    return {
      loadedVersions: loaded.length,
      estimatedBytes,
      budgetBytes: this.budgetBytes,
      // Versions removed or unloaded through the admin API since the last load may have brought it back within.
      overBudget: this.stuck && estimatedBytes > this.budgetBytes,
    };
  }

  /** Called once `justLoaded` is READY: unloads what must go for the rest to fit. */
  enforce(justLoaded: VersionStatus): void {
    if (this.budgetBytes <= 0) return;
    const loaded = this.loaded();
    let bytes = this.runtimeBytes() + total(loaded);
    if (bytes <= this.budgetBytes) {
      this.stuck = false;
      return;
    }
    const candidates = loaded
      .filter((entry) => entry.status !== justLoaded && mayUnload(entry))
      .sort((a, b) => (a.status.lastUsed ?? 0) - (b.status.lastUsed ?? 0));
    for (const entry of candidates) {
      if (bytes <= this.budgetBytes) break;
      this.unload(entry.model, entry.status, `least recently used, to keep the estimated ${mb(bytes)} of loaded models within ${mb(this.budgetBytes)}`);
      this.observer.onEviction();
      bytes -= entry.bytes;
    }
    const over = bytes > this.budgetBytes;
    if (over && !this.stuck) {
      this.logger.warn(
        `Loaded models take an estimated ${mb(bytes)}, over this process's memory budget of ${mb(this.budgetBytes)}, ` +
          'and none of them may be unloaded now (requests in flight, loading, or the default version of a required model)',
      );
    }
    this.stuck = over;
  }

  private loaded(): Loaded[] {
    const loaded: Loaded[] = [];
    for (const model of this.table.list()) {
      for (const status of model.versions) {
        if (status.ready) loaded.push({ model, status, bytes: this.estimateOf(status.ready) });
      }
    }
    return loaded;
  }

  private estimateOf(ready: ReadyVersion): number {
    const scrapeShare = SCRAPE_BYTES_PER_SERIES * seriesOfLoadedVersion(ready.manifest, this.driftSeries);
    return (ready.model.residentBytes ?? 0) + LOADED_VERSION_OVERHEAD_BYTES + scrapeShare;
  }
}

function mayUnload({ model, status }: Loaded): boolean {
  if (status.state !== 'READY' || status.loading || (status.ready?.inFlight ?? 0) > 0) return false;
  // A required model is loaded eagerly; its default version serves readiness and must stay.
  return model.loadsOnDemand === true || defaultVersion(model) !== status.version;
}

function total(loaded: readonly Loaded[]): number {
  return loaded.reduce((sum, entry) => sum + entry.bytes, 0);
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
