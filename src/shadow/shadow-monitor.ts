import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ServerProcess, TO_HTTP_PROCESS, TO_PRIMARY } from '../cluster/server-process';
import { DomainError } from '../common/errors/domain-error';
import { ModelRegistry } from '../model-registry/model-registry.service';
import type { ModelStatus } from '../model-registry/model-version';
import { DEFAULT_SHADOW_QUEUE_SIZE, type ShadowConfig, type ShadowInForce } from '../model-registry/shadow-config';
import { MetricsRegistry } from '../observability/metrics-registry';
import { ShadowSeries } from '../observability/metrics/shadow-series';
import type { RequestContext } from '../request-context/request-context';
import { type PredictionObserver, PredictionObservers, type PredictionRecord } from '../serving/prediction-observers';
import { type FiguresSnapshot, mergeFigures, SHADOW_OUTCOMES, ShadowFigures } from './shadow-figures';
import { ShadowLane, ShadowQueue } from './shadow-queue';
import { mapShadowReport } from './shadow-report';
import { ShadowRunner } from './shadow-runner';
import { ShadowTrial } from './shadow-trial';
import type { ShadowReportDto } from './shadow.dto';

/** The primary waits up to 2 s for each other process; this covers that and the hop. */
const SIBLINGS_TIMEOUT_MS = 2_500;

/** What one HTTP process asks the others: their figures of this model, if they count under the same shadow config. */
interface FiguresQuestion {
  model: string;
  /** The config in force: figures of another config must not be added up. */
  signature: string;
}

/** A model's shadow in this process: its queue, and the figures of the config in force. */
interface ModelShadow {
  inForce: ShadowInForce;
  figures: ShadowFigures;
  readonly queue: ShadowQueue<ShadowTrial>;
}

/**
 * Shadow versions (a model's `"shadow"` config): an observer of every answered prediction that samples
 * the requests of models with a shadow, and, once a sampled request's answer has gone out (its
 * context's recorders are told), offers it to the model's bounded queue, where the ShadowRunner runs it
 * on the shadow version and compares the answers, one request at a time in the whole process. A request is sampled once, at its first run; a
 * request the serving version refused never reaches an observer, and one refused after its run
 * (status >= 400) is not offered. Reports GET /v1/models/{name}/shadow for the whole pod.
 */
@Injectable()
export class ShadowMonitor implements PredictionObserver, OnModuleInit, OnModuleDestroy {
  readonly name = 'shadow';
  /** The draw that samples a request: below `sample` is in (replaced by tests). */
  random: () => number = Math.random;
  private readonly models = new Map<string, ModelShadow>();
  /** Each request's trial, or null once it is known not to be shadowed; forgotten with the request. */
  private readonly trials = new WeakMap<RequestContext, ShadowTrial | null>();
  private readonly runner: ShadowRunner;
  private readonly series: ShadowSeries;
  /** One shadow inference at a time in this process, across models: a shadow's cost is bounded by one inference thread. */
  private readonly lane = new ShadowLane();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly observers: PredictionObservers,
    metrics: MetricsRegistry,
    private readonly serverProcess: ServerProcess,
  ) {
    this.series = new ShadowSeries(metrics.registry, SHADOW_OUTCOMES, () => this.queued());
    this.runner = new ShadowRunner(registry, observers);
  }

  onModuleInit(): void {
    // Always registered: a shadow can be configured at any time (config.json, the admin API). Without one,
    // a prediction costs this observer one map lookup.
    this.observers.add(this);
    this.serverProcess.primary?.handle(TO_HTTP_PROCESS.shadow, (question) => this.figuresFor(question as FiguresQuestion));
  }

  onModuleDestroy(): void {
    for (const shadow of this.models.values()) shadow.queue.stop();
  }

  /** On the request path: a lookup, and for a model with a shadow a draw; a sampled request is only remembered here. */
  observe(record: PredictionRecord, context: RequestContext): void {
    const known = this.trials.get(context);
    if (known !== undefined) {
      known?.runs.push(record);
      return;
    }
    let model: ModelStatus;
    try {
      model = this.registry.get(record.model);
    } catch {
      return;
    }
    if (model.shadow) this.trials.set(context, this.sample(model, model.shadow, record, context));
  }

  /** Resolves once every queue is idle (tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.models.values()].map((shadow) => shadow.queue.idle()));
  }

  /** The shadow figures of a model for the whole pod: every HTTP process's added up. */
  async report(name: string): Promise<ShadowReportDto> {
    const model = this.registry.get(name);
    const inForce = model.shadow;
    if (!inForce) {
      throw new DomainError(
        'NO_SHADOW',
        `model "${name}" has no shadow version: add "shadow": {"version": <number or label>, "sample": <0..1>} to its config.json ` +
          'or to PUT /v1/admin/models/{name}/config',
      );
    }
    const snapshots: FiguresSnapshot[] = [this.stateOf(name, inForce).figures.snapshot()];
    const primary = this.serverProcess.primary;
    if (primary) {
      const question: FiguresQuestion = { model: name, signature: signatureOf(inForce.config) };
      try {
        const answers = await primary.request<(FiguresSnapshot | null)[]>(TO_PRIMARY.shadow, question, SIBLINGS_TIMEOUT_MS);
        for (const answer of answers) if (answer) snapshots.push(answer);
      } catch (error) {
        // Half the pod's figures would look like the whole pod's: none is better.
        throw new DomainError('PROCESS_UNAVAILABLE', `shadow figures could not be collected from every HTTP process: ${(error as Error).message}`);
      }
    }
    return mapShadowReport(name, inForce.config, shadowVersionOf(model, inForce.config), mergeFigures(snapshots), snapshots.length);
  }

  private sample(model: ModelStatus, inForce: ShadowInForce, record: PredictionRecord, context: RequestContext): ShadowTrial | null {
    const config = inForce.config;
    const shadowVersion = shadowVersionOf(model, config);
    // Served by the shadow version itself (named by the client, or its canary share): nothing to compare with.
    if (shadowVersion === record.version) return null;
    if (!(this.random() < config.sample)) return null;
    const shadow = this.stateOf(model.name, inForce);
    const serving = model.versions.find((status) => status.version === record.version)?.ready;
    const shadowName = String(shadowVersion ?? config.version);
    const trial = new ShadowTrial(
      model.name,
      record.version,
      shadowVersion,
      shadowName,
      shadow.figures,
      this.series.pair(model.name, record.version, shadowName),
      { manifest: serving?.manifest, topK: config.top_k },
      (answered, answeredContext, statusCode) => this.answered(answered, answeredContext, statusCode),
    );
    trial.runs.push(record);
    context.recordBy(trial);
    return trial;
  }

  /** The sampled request's answer has gone out: now, and only if it was a success, the shadow's turn. */
  private answered(trial: ShadowTrial, context: RequestContext, statusCode: number): void {
    if (statusCode >= 400 || context.outcome !== 'success') return;
    if (trial.shadowVersion === undefined) return this.runner.count(trial, 'unavailable');
    if (!this.models.get(trial.model)?.queue.offer(trial)) this.runner.count(trial, 'dropped');
  }

  /** The model's shadow state, its figures started again when the config in force is another. */
  private stateOf(name: string, inForce: ShadowInForce): ModelShadow {
    const capacity = inForce.config.queue_size ?? DEFAULT_SHADOW_QUEUE_SIZE;
    let shadow = this.models.get(name);
    if (!shadow) {
      shadow = { inForce, figures: new ShadowFigures(inForce.since), queue: new ShadowQueue(capacity, (trial) => this.runner.run(trial), this.lane) };
      this.models.set(name, shadow);
    } else if (shadow.inForce !== inForce) {
      // Trials sampled before keep counting in the figures they were sampled for, which no report shows any more.
      shadow.inForce = inForce;
      shadow.figures = new ShadowFigures(inForce.since);
      shadow.queue.capacity = capacity;
    }
    return shadow;
  }

  /** Another process's question: this process's figures of the model under the same config, else null. */
  private figuresFor(question: FiguresQuestion): FiguresSnapshot | null {
    let model: ModelStatus;
    try {
      model = this.registry.get(question.model);
    } catch {
      return null;
    }
    const inForce = model.shadow;
    return inForce && signatureOf(inForce.config) === question.signature ? this.stateOf(model.name, inForce).figures.snapshot() : null;
  }

  private *queued(): Iterable<{ model: string; queued: number }> {
    for (const [model, shadow] of this.models) yield { model, queued: shadow.queue.size };
  }
}

/** The version a shadow config names now: its number, or its label's version; undefined for a label that names none. */
function shadowVersionOf(model: ModelStatus, config: ShadowConfig): number | undefined {
  if (typeof config.version === 'number') return config.version;
  // Own labels only, as version-resolution reads them.
  return Object.hasOwn(model.labels, config.version) ? model.labels[config.version] : undefined;
}

function signatureOf(config: ShadowConfig): string {
  return JSON.stringify([config.version, config.sample, config.top_k ?? null, config.queue_size ?? null]);
}
