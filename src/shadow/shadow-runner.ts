import { Logger } from '@nestjs/common';
import type { TensorMap } from '../inference/tensors';
import type { ModelRegistry } from '../model-registry/model-registry.service';
import type { ReadyVersion } from '../model-registry/model-version';
import { isRefused } from '../model-registry/version-deprecation';
import type { PredictionObservers, PredictionRecord } from '../serving/prediction-observers';
import { compareOutputs, comparisonPlanOf, type OutputComparison } from './output-comparison';
import type { ShadowOutcome } from './shadow-figures';
import type { ShadowTrial } from './shadow-trial';

type Compared = Extract<OutputComparison, { comparable: true }>;

/**
 * Runs one sampled request on the shadow version and counts what came of it, in the report's figures
 * and the Prometheus series at once (so the two agree). The shadow version is looked up when the run
 * starts, never loaded for it (with MODEL_LOADING=lazy a version not loaded is `unavailable`), and held
 * while it runs, as a request holds its version, so a reload or removal waits for it. Its inference goes
 * through the shadow version's own batcher (shared with that version's clients, if it has any); the
 * serving version's batcher never sees shadow work.
 */
export class ShadowRunner {
  private readonly logger = new Logger('Shadow');
  /** Why a pair's shadow failed or could not be compared, logged once per pair and reason. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly registry: Pick<ModelRegistry, 'resolve'>,
    private readonly observers: PredictionObservers,
  ) {}

  async run(trial: ShadowTrial): Promise<void> {
    let ready: ReadyVersion;
    try {
      ready = this.registry.resolve(trial.model, { kind: 'number', version: trial.shadowVersion! });
    } catch (error) {
      return this.count(trial, 'unavailable', (error as Error).message);
    }
    // Retired (past a sunset that refuses its requests): clients get 410 from it, and the shadow does not run it either.
    if (ready.deprecation && isRefused(ready.deprecation, Date.now())) return this.count(trial, 'unavailable');
    const mismatch = interfaceMismatch(ready, trial.runs);
    if (mismatch) return this.count(trial, 'incomparable', mismatch);
    ready.enter();
    try {
      const startedAt = Date.now();
      const started = performance.now();
      const answers: TensorMap[] = [];
      try {
        for (const run of trial.runs) answers.push(await ready.model.run(run.inputs, Object.keys(run.outputs)));
      } catch (error) {
        return this.count(trial, 'failed', (error as Error).message);
      }
      const latencyMs = performance.now() - started;
      trial.series.ran(latencyMs / 1000);
      this.compare(trial, answers);
      if (this.observers.takeShadows) {
        for (const [i, run] of trial.runs.entries()) this.log(run, ready.version, answers[i], startedAt, latencyMs);
      }
    } finally {
      ready.leave();
    }
  }

  /** A sampled request that did not reach the shadow (dropped, unavailable), counted as runs are. */
  count(trial: ShadowTrial, outcome: ShadowOutcome, reason?: string): void {
    trial.figures.count(trial.servingVersion, trial.shadowName, outcome);
    trial.series.outcome(outcome);
    if (reason !== undefined && (outcome === 'failed' || outcome === 'incomparable')) this.reportOnce(trial, outcome, reason);
  }

  private compare(trial: ShadowTrial, answers: readonly TensorMap[]): void {
    const compared: Compared[] = [];
    for (const [i, run] of trial.runs.entries()) {
      const comparison = compareOutputs(run.outputs, answers[i], comparisonPlanOf(trial.plan.manifest, run.outputs, trial.plan.topK));
      if (!comparison.comparable) return this.count(trial, 'incomparable', comparison.reason);
      compared.push(comparison);
    }
    this.count(trial, 'compared');
    let firstInstance = 0;
    for (const comparison of compared) {
      trial.figures.compared(trial.servingVersion, trial.shadowName, comparison, trial.requestId, firstInstance);
      firstInstance += comparison.rows;
      if (comparison.top1) trial.series.agreement('top1', comparison.top1.agree, comparison.top1.total);
      if (comparison.topk) trial.series.agreement('topk', comparison.topk.agree, comparison.topk.total);
      for (const difference of comparison.differences) trial.series.difference(difference.output, difference.absolute, difference.relative);
    }
  }

  /** The shadow's answer to the prediction log (when it is on), marked as the shadow of the version that served. */
  private log(run: PredictionRecord, version: number, outputs: TensorMap, startedAt: number, latencyMs: number): void {
    this.observers.notifyShadow({ ...run, version, outputs, startedAt, latencyMs, cache: undefined, shadowOf: run.version });
  }

  private reportOnce(trial: ShadowTrial, outcome: ShadowOutcome, reason: string): void {
    const key = `${trial.model}\u0000${trial.servingVersion}\u0000${trial.shadowName}\u0000${outcome}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.logger.warn(
      `shadow of ${trial.model}/${trial.servingVersion} by version ${trial.shadowName}: ${outcome} (${reason}); ` +
        'counted in model_shadow_requests_total, reported once',
    );
  }
}

/** Why the shadow version cannot take the served inputs or give the served outputs, if it cannot. */
function interfaceMismatch(ready: ReadyVersion, runs: readonly PredictionRecord[]): string | undefined {
  const inputs = new Set(ready.model.inputs.map((spec) => spec.name));
  const outputs = new Set(ready.model.outputs.map((spec) => spec.name));
  for (const run of runs) {
    const input = Object.keys(run.inputs).find((name) => !inputs.has(name));
    if (input !== undefined) return `the shadow version has no input "${input}"`;
    const needed = [...inputs].find((name) => !Object.hasOwn(run.inputs, name));
    if (needed !== undefined) return `the shadow version needs input "${needed}", which the served request has not`;
    const output = Object.keys(run.outputs).find((name) => !outputs.has(name));
    if (output !== undefined) return `the shadow version has no output "${output}"`;
  }
  return undefined;
}
