import type { AgreementCount, OutputComparison } from './output-comparison';

/**
 * What became of a sampled request: compared; incomparable (the shadow answered, but its outputs are not
 * shaped as the served ones, or it takes other inputs); failed (its inference failed); unavailable (the
 * shadow version does not exist or is not READY); dropped (the shadow's queue was full).
 */
export const SHADOW_OUTCOMES = ['compared', 'incomparable', 'failed', 'unavailable', 'dropped'] as const;
export type ShadowOutcome = (typeof SHADOW_OUTCOMES)[number];

/** The largest differences kept per output, with the requests they came from. */
export const LARGEST_KEPT = 10;

export interface LargestDifference {
  request_id: string | null;
  /** The instance of the request (its row, counted over every run of the request). */
  instance: number;
  absolute: number;
  relative: number;
}

/** One output's differences over the compared rows: sums (for means) and maxima, and the largest ones. */
export interface OutputFigures {
  rows: number;
  sum_absolute: number;
  max_absolute: number;
  sum_relative: number;
  max_relative: number;
  /** By absolute difference, largest first. */
  largest: LargestDifference[];
}

/** The figures of one serving version against one shadow version: plain data, added up across HTTP processes. */
export interface PairFigures {
  serving_version: number;
  /** A version number, or the label that named no version. */
  shadow_version: string;
  requests: Record<ShadowOutcome, number>;
  /** Rows of the compared requests. */
  rows: number;
  top1: AgreementCount;
  /** k is null until a row with class scores is compared. */
  topk: AgreementCount & { k: number | null };
  outputs: Record<string, OutputFigures>;
}

/** Every pair's figures of one process since the shadow config in force applied. */
export interface FiguresSnapshot {
  /** ISO 8601. */
  since: string;
  pairs: PairFigures[];
}

type Compared = Extract<OutputComparison, { comparable: true }>;

/**
 * The figures of a model's shadow since its config applied (a new config starts a new ShadowFigures).
 * Counted at the same points as the Prometheus series, so a report and the series agree.
 */
export class ShadowFigures {
  private readonly pairs = new Map<string, PairFigures>();

  constructor(readonly since: Date) {}

  count(servingVersion: number, shadowVersion: string, outcome: ShadowOutcome): void {
    this.pair(servingVersion, shadowVersion).requests[outcome]++;
  }

  /** One compared run of a request; `firstInstance` is its first row's place among the request's instances. */
  compared(servingVersion: number, shadowVersion: string, comparison: Compared, requestId: string | undefined, firstInstance: number): void {
    const pair = this.pair(servingVersion, shadowVersion);
    pair.rows += comparison.rows;
    if (comparison.top1) add(pair.top1, comparison.top1);
    if (comparison.topk) {
      add(pair.topk, comparison.topk);
      pair.topk.k = comparison.topk.k;
    }
    for (const difference of comparison.differences) {
      const output = (pair.outputs[difference.output] ??= emptyOutput());
      output.rows++;
      output.sum_absolute += difference.absolute;
      output.sum_relative += difference.relative;
      output.max_absolute = Math.max(output.max_absolute, difference.absolute);
      output.max_relative = Math.max(output.max_relative, difference.relative);
      keepLargest(output.largest, {
        request_id: requestId ?? null,
        instance: firstInstance + difference.row,
        absolute: difference.absolute,
        relative: difference.relative,
      });
    }
  }

  snapshot(): FiguresSnapshot {
    return { since: this.since.toISOString(), pairs: [...this.pairs.values()] };
  }

  private pair(servingVersion: number, shadowVersion: string): PairFigures {
    const key = `${servingVersion}\u0000${shadowVersion}`;
    let pair = this.pairs.get(key);
    if (!pair) {
      pair = emptyPair(servingVersion, shadowVersion);
      this.pairs.set(key, pair);
    }
    return pair;
  }
}

/** Several processes' figures as one: counts and sums added, maxima and the largest differences merged, the earliest `since`. */
export function mergeFigures(snapshots: readonly FiguresSnapshot[]): FiguresSnapshot {
  const merged = new Map<string, PairFigures>();
  for (const snapshot of snapshots) {
    for (const pair of snapshot.pairs) {
      const key = `${pair.serving_version}\u0000${pair.shadow_version}`;
      const into = merged.get(key) ?? emptyPair(pair.serving_version, pair.shadow_version);
      merged.set(key, into);
      for (const outcome of SHADOW_OUTCOMES) into.requests[outcome] += pair.requests[outcome];
      into.rows += pair.rows;
      add(into.top1, pair.top1);
      add(into.topk, pair.topk);
      into.topk.k ??= pair.topk.k;
      for (const [name, output] of Object.entries(pair.outputs)) {
        const target = (into.outputs[name] ??= emptyOutput());
        target.rows += output.rows;
        target.sum_absolute += output.sum_absolute;
        target.sum_relative += output.sum_relative;
        target.max_absolute = Math.max(target.max_absolute, output.max_absolute);
        target.max_relative = Math.max(target.max_relative, output.max_relative);
        for (const difference of output.largest) keepLargest(target.largest, difference);
      }
    }
  }
  const since = snapshots.map((snapshot) => snapshot.since).sort()[0] ?? new Date(0).toISOString();
  return { since, pairs: [...merged.values()].sort((a, b) => a.serving_version - b.serving_version || a.shadow_version.localeCompare(b.shadow_version)) };
}

function add(into: AgreementCount, counted: AgreementCount): void {
  into.agree += counted.agree;
  into.total += counted.total;
}

/** Keeps the LARGEST_KEPT largest by absolute difference, largest first (a short sorted list: an insertion). */
function keepLargest(list: LargestDifference[], difference: LargestDifference): void {
  if (list.length === LARGEST_KEPT && !(difference.absolute > list[list.length - 1].absolute)) return;
  let at = list.length;
  while (at > 0 && difference.absolute > list[at - 1].absolute) at--;
  list.splice(at, 0, difference);
  if (list.length > LARGEST_KEPT) list.pop();
}

function emptyPair(servingVersion: number, shadowVersion: string): PairFigures {
  return {
    serving_version: servingVersion,
    shadow_version: shadowVersion,
    requests: { compared: 0, incomparable: 0, failed: 0, unavailable: 0, dropped: 0 },
    rows: 0,
    top1: { agree: 0, total: 0 },
    topk: { agree: 0, total: 0, k: null },
    outputs: {},
  };
}

function emptyOutput(): OutputFigures {
  return { rows: 0, sum_absolute: 0, max_absolute: 0, sum_relative: 0, max_relative: 0, largest: [] };
}
