import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Counter, Gauge } from 'prom-client';
import { ServerProcess, TO_HTTP_PROCESS, TO_PRIMARY } from '../cluster/server-process';
import { DomainError } from '../common/errors/domain-error';
import { ModelRegistry } from '../model-registry/model-registry.service';
import type { ReadyVersion } from '../model-registry/model-version';
import { InferenceMetrics } from '../observability/metrics-registry';
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
  readonly ready: ReadyVersion;
  /** Undefined for a version without a drift reference (remembered, so it is not looked up again). */
  readonly window: DriftWindow | undefined;
  readonly signature: string;
  readonly labels: { model: string; version: string };
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
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly observers: PredictionObservers,
    private readonly metrics: InferenceMetrics,
    private readonly serverProcess: ServerProcess,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // Off: no observer (predictions build no record for drift), no series, and the endpoint says why.
    if (!this.config.DRIFT_ENABLED) return;
    this.registerMetrics();
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
    const key = `${ready.name}\u0000${ready.version}`;
    const known = this.entries.get(key);
    if (known?.ready === ready) return known;
    // New, or reloaded (its manifest may have another reference): a fresh window.
    const layout = driftLayoutOf(ready);
    const entry: Entry = {
      ready,
      window: layout ? new DriftWindow(layout) : undefined,
      signature: `${ready.sha256}:${layout?.columns.map((column) => `${column.name}/${column.reference.length}`).join(',') ?? ''}`,
      labels: { model: ready.name, version: String(ready.version) },
    };
    this.entries.set(key, entry);
    return entry;
  }

  /**
   * The versions READY now that have a drift reference, with windows for those not asked yet (so every
   * bin's counter exists at 0 before the first prediction, and rate() sees the first one); windows of
   * versions no longer READY are dropped, and their series with them.
   */
  private current(): Entry[] {
    const live = new Set<Entry>();
    for (const model of this.registry.list()) {
      for (const status of model.versions) {
        if (status.state === 'READY' && status.ready) live.add(this.entryFor(status.ready));
      }
    }
    for (const [key, entry] of this.entries) if (!live.has(entry)) this.entries.delete(key);
    return [...live].filter((entry) => entry.window);
  }

  private registerMetrics(): void {
    const registers = [this.metrics.registry];
    const current = () => this.current();
    new Counter({
      name: 'model_feature_bin_observations_total',
      help: 'Instances whose feature value fell in this bin of the drift reference (bins: see GET /v1/models/{name}/drift), since the version loaded',
      labelNames: ['model', 'version', 'feature', 'bin'] as const,
      registers,
      collect() {
        this.reset();
        for (const entry of current()) {
          entry.window!.layout.columns.forEach((column, c) => {
            if (column.kind !== 'feature') return;
            entry.window!.totals(c).forEach((count, bin) => this.inc({ ...entry.labels, feature: column.name, bin: String(bin) }, count));
          });
        }
      },
    });
    new Counter({
      name: 'model_prediction_class_observations_total',
      help: 'Instances predicted as this class (the argmax of the scores), since the version loaded',
      labelNames: ['model', 'version', 'class'] as const,
      registers,
      collect() {
        this.reset();
        for (const entry of current()) {
          const { columns, labels } = entry.window!.layout;
          columns.forEach((column, c) => {
            if (column.kind !== 'predictions') return;
            entry.window!.totals(c).forEach((count, bin) => this.inc({ ...entry.labels, class: labels![bin] }, count));
          });
        }
      },
    });
    new Gauge({
      name: 'model_feature_reference_bin_instances',
      help: 'Instances of the drift reference (the training data) in this bin of the feature',
      labelNames: ['model', 'version', 'feature', 'bin'] as const,
      registers,
      // The same in every HTTP process: summing would multiply the reference.
      aggregator: 'first',
      collect() {
        this.reset();
        for (const entry of current()) {
          for (const column of entry.window!.layout.columns) {
            if (column.kind !== 'feature') continue;
            column.reference.forEach((count, bin) => this.set({ ...entry.labels, feature: column.name, bin: String(bin) }, count));
          }
        }
      },
    });
    new Gauge({
      name: 'model_prediction_reference_class_instances',
      help: 'Instances of the drift reference (the training data) the version predicts as this class',
      labelNames: ['model', 'version', 'class'] as const,
      registers,
      aggregator: 'first',
      collect() {
        this.reset();
        for (const entry of current()) {
          const { columns, labels } = entry.window!.layout;
          for (const column of columns) {
            if (column.kind === 'predictions') column.reference.forEach((count, bin) => this.set({ ...entry.labels, class: labels![bin] }, count));
          }
        }
      },
    });
    // A PSI cannot be added up across processes. The merged scrape keeps the largest: keep-alive connections
    // pin a client to one process, so a drifting client may show in one process's window only.
    new Gauge({
      name: 'model_feature_drift_psi',
      help: "Population stability index of the feature over this process's sliding window against the drift reference (the largest of the HTTP processes)",
      labelNames: ['model', 'version', 'feature'] as const,
      registers,
      aggregator: 'max',
      collect() {
        this.reset();
        for (const entry of current()) {
          const window = entry.window!;
          if (window.instances === 0) continue;
          const { counts } = window.counts();
          window.layout.columns.forEach((column, c) => {
            if (column.kind === 'feature' && counted(counts[c])) this.set({ ...entry.labels, feature: column.name }, psi(column.reference, counts[c]));
          });
        }
      },
    });
    new Gauge({
      name: 'model_prediction_drift_psi',
      help: "Population stability index of the predicted classes over this process's sliding window against the drift reference (the largest of the HTTP processes)",
      labelNames: ['model', 'version'] as const,
      registers,
      aggregator: 'max',
      collect() {
        this.reset();
        for (const entry of current()) {
          const window = entry.window!;
          if (window.instances === 0) continue;
          const { counts } = window.counts();
          window.layout.columns.forEach((column, c) => {
            if (column.kind === 'predictions' && counted(counts[c])) this.set(entry.labels, psi(column.reference, counts[c]));
          });
        }
      },
    });
    new Gauge({
      name: 'model_drift_window_instances',
      help: 'Instances in the sliding drift windows of the version (summed over the HTTP processes)',
      labelNames: ['model', 'version'] as const,
      registers,
      collect() {
        this.reset();
        for (const entry of current()) this.set(entry.labels, entry.window!.instances);
      },
    });
  }
}

function counted(counts: readonly number[]): boolean {
  return counts.some((count) => count > 0);
}
