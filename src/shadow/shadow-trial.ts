import type { VersionManifest } from '../model-registry/manifest';
import type { ShadowPairSeries } from '../observability/metrics/shadow-series';
import type { RequestContext, RequestRecorder } from '../request-context/request-context';
import type { PredictionRecord } from '../serving/prediction-observers';
import type { ShadowFigures } from './shadow-figures';

/** What a trial needs to know of the serving side to compare: its manifest (a classifier's scores) and the configured k. */
export interface TrialPlan {
  readonly manifest: VersionManifest | undefined;
  readonly topK?: number;
}

/**
 * One sampled request on its way to the shadow: its runs on the serving version (inputs and the
 * answer the client got; a /v1 request of a model without a batch dimension has one per instance),
 * the versions compared, and the figures it counts in (those of the shadow config in force when
 * it was sampled). Registered with the request's context, it is told when the answer has gone out,
 * and only then offered to the shadow's queue.
 */
export class ShadowTrial implements RequestRecorder {
  readonly runs: PredictionRecord[] = [];

  constructor(
    readonly model: string,
    readonly servingVersion: number,
    /** The version the shadow named when the request was sampled; undefined when its label named none. */
    readonly shadowVersion: number | undefined,
    /** The shadow version as the figures and series name it: its number, or the label that named none. */
    readonly shadowName: string,
    readonly figures: ShadowFigures,
    readonly series: ShadowPairSeries,
    readonly plan: TrialPlan,
    private readonly answered: (trial: ShadowTrial, context: RequestContext, statusCode: number) => void,
  ) {}

  get requestId(): string | undefined {
    return this.runs[0]?.requestId;
  }

  record(context: RequestContext, statusCode: number): void {
    this.answered(this, context, statusCode);
  }
}
