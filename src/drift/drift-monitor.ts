import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ServerProcess, TO_HTTP_PROCESS, TO_PRIMARY } from '../cluster/server-process';
import { DomainError } from '../common/errors/domain-error';
import { ModelRegistry } from '../model-registry/model-registry.service';
import type { ReadyVersion } from '../model-registry/model-version';
import { MetricsRegistry } from '../observability/metrics-registry';
import { type DriftColumnReading, registerDriftSeries, type VersionDriftReading } from '../observability/metrics/drift-series';
import { type PredictionObserver, PredictionObservers, type PredictionRecord } from '../serving/prediction-observers';
import { driftLayoutOf, DriftWindow, type WindowCounts } from './drift-window';
import { mapDriftReport, sumCounts } from './drift-report';
import type { DriftReportDto } from './drift.dto';
import { psi } from './psi';

/** The primary waits up to 2 s for each other process; this covers that and the hop. */
const SIBLINGS_TIMEOUT_MS = 2_500;

/** What one HTTP process asks the others: the window of this version, if theirs is the same model and reference. */
interface WindowQuestion {
  model: string;
  version: number;
  /** model.onnx's hash and the bins of every column: windows of different references must not be added up. */
  signature: string;
}

interface Entry {
  /** Undefined for a version without a drift reference (remembered, so it is not looked up again). */
  readonly window: DriftWindow | undefined;
  readonly signature: string;
  /** What the drift series read of the window. */
  readonly reading: VersionDriftReading | undefined;
}

/**
 * Keeps, per loaded model version with a drift reference in its manifest, a sliding window of the
 * instances it answered (features binned as the reference, predicted classes) and reports it: as
 * Prometheus series (PSI gauges, per-bin counters, the reference counts) and for
 * GET /v1/models/{name}/drift, summed over the HTTP processes of the pod.
 */
@Injectable()
export class DriftMonitor implements PredictionObserver, OnModuleInit {
  readonly name = 'drift';
  private readonly entries = new WeakMap<ReadyVersion, Entry>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly observers: PredictionObservers,
    private readonly metrics: MetricsRegistry,
    private readonly serverProcess: ServerProcess,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // Off: no observer (predictions build no record for drift), no series, and the endpoint says why.
    if (!this.config.DRIFT_ENABLED) return;
    registerDriftSeries(this.metrics.registry, () => this.current());
    this.serverProcess.primary?.handle(TO_HTTP_PROCESS.drift, (question) => this.windowFor(question as WindowQuestion));
    this.observers.add(this);
  }

  /** On the request path: one registry lookup per answered request, then per instance a binary search per feature. */
  observe(record: PredictionRecord): void {
    const entry = this.entryOf(record.model, record.version);
    entry?.window?.observe(record.rows, record.inputs, record.outputs);
  }

  /** The drift of this version for the whole pod: every HTTP process's window added up. */
  async report(ready: ReadyVersion): Promise<DriftReportDto> {
    if (!this.config.DRIFT_ENABLED) {
      throw new DomainError('NOT_FOUND', 'drift monitoring is off on this server (DRIFT_ENABLED=false)');
    }
    const entry = this.entryFor(ready);
    if (!entry.window) {
      throw new DomainError(
        'NO_DRIFT_REFERENCE',
        `model "${ready.name}" version ${ready.version} has no drift reference: its manifest has no "drift" section ` +
          `(training/drift_reference.py writes one from the training data)`,
      );
    }
    const windows: WindowCounts[] = [entry.window.counts()];
    const primary = this.serverProcess.primary;
    if (primary) {
      const question: WindowQuestion = { model: ready.name, version: ready.version, signature: entry.signature };
      try {
        const answers = await primary.request<(WindowCounts | null)[]>(TO_PRIMARY.drift, question, SIBLINGS_TIMEOUT_MS);
        for (const answer of answers) if (answer) windows.push(answer);
      } catch (error) {
        // Half the pod's window would look like the whole pod's: none is better.
        throw new DomainError('PROCESS_UNAVAILABLE', `drift could not be collected from every HTTP process: ${(error as Error).message}`);
      }
    }
    return mapDriftReport(ready.name, ready.version, entry.window.layout, sumCounts(windows), windows.length);
  }

  /** Another process's question: this process's window of the same version and reference, else null. */
  private windowFor(question: WindowQuestion): WindowCounts | null {
    const entry = this.entryOf(question.model, question.version);
    return entry?.window && entry.signature === question.signature ? entry.window.counts() : null;
  }

  /** The entry of the version serving now under this number, created on first use; undefined when none is READY. */
  private entryOf(model: string, version: number): Entry | undefined {
    let ready: ReadyVersion | undefined;
    try {
      ready = this.registry.get(model).versions.find((status) => status.version === version)?.ready;
    } catch {
      return undefined;
    }
    return ready ? this.entryFor(ready) : undefined;
  }

  private entryFor(ready: ReadyVersion): Entry {
    // Kept by the version itself: a reloaded version (its manifest may have another reference) is another
    // object, with a fresh window, and a retired one's window goes with it.
    const known = this.entries.get(ready);
    if (known) return known;
    const layout = driftLayoutOf(ready);
    const window = layout ? new DriftWindow(layout) : undefined;
    const entry: Entry = {
      window,
      signature: `${ready.sha256}:${layout?.columns.map((column) => `${column.name}/${column.reference.length}`).join(',') ?? ''}`,
      reading: window ? readingOf(window, { model: ready.name, version: String(ready.version) }) : undefined,
    };
    this.entries.set(ready, entry);
    return entry;
  }

  /**
   * The versions READY now that have a drift reference, with windows for those not asked yet (so every
   * bin's counter exists at 0 before the first prediction, and rate() sees the first one); versions no
   * longer READY have no series.
   */
  private *current(): Iterable<VersionDriftReading> {
    for (const model of this.registry.list()) {
      for (const status of model.versions) {
        const reading = status.state === 'READY' && status.ready ? this.entryFor(status.ready).reading : undefined;
        if (reading) yield reading;
      }
    }
  }
}

/** A version's window as its series read it (observability/metrics/drift-series.ts): every label made once. */
function readingOf(window: DriftWindow, labels: VersionDriftReading['labels']): VersionDriftReading {
  const features: DriftColumnReading[] = [];
  const predictions: DriftColumnReading[] = [];
  const classes = window.layout.labels ?? [];
  window.layout.columns.forEach((column, c) => {
    const feature = column.kind === 'feature';
    (feature ? features : predictions).push({
      labels: feature ? { ...labels, feature: column.name } : labels,
      binLabels: column.reference.map((_, bin) => (feature ? { ...labels, feature: column.name, bin: String(bin) } : { ...labels, class: classes[bin] })),
      reference: column.reference,
      observed: () => window.totals(c),
      psi: () => {
        const live = window.liveCounts(c);
        return counted(live) ? psi(column.reference, live) : undefined;
      },
    });
  });
  return {
    labels,
    get instances() {
      return window.instances;
    },
    features,
    predictions,
  };
}

function counted(counts: ArrayLike<number>): boolean {
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) return true;
  return false;
}
