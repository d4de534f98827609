import { DEFAULT_SHADOW_QUEUE_SIZE, type ShadowConfig } from '../model-registry/shadow-config';
import type { AgreementCount } from './output-comparison';
import { type FiguresSnapshot, type OutputFigures, type PairFigures, SHADOW_OUTCOMES } from './shadow-figures';
import type { ShadowAgreementDto, ShadowComparisonDto, ShadowFiguresDto, ShadowOutputDifferenceDto, ShadowReportDto } from './shadow.dto';

/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/**
 * The Wilson score interval of a proportion (agree of total) at 95%: unlike the normal approximation
 * it stays within [0, 1] and is not empty at 0 or `total` agreements, where a shadow that agrees
 * on every row of a small sample still leaves room to disagree.
 */
export function wilsonInterval(agree: number, total: number, z = Z95): [number, number] {
  const p = agree / total;
  const z2 = z * z;
  const centre = (p + z2 / (2 * total)) / (1 + z2 / total);
  const half = (z * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total))) / (1 + z2 / total);
  // At 0 and `total` agreements the bound is exactly 0 or 1; floating point would show 1e-17 or 0.9999999999999999.
  return [agree === 0 ? 0 : Math.max(0, centre - half), agree === total ? 1 : Math.min(1, centre + half)];
}

/** The answer of GET /v1/models/{name}/shadow: the figures of every pair, and their sums. */
export function mapShadowReport(
  model: string,
  config: ShadowConfig,
  shadowVersion: number | undefined,
  figures: FiguresSnapshot,
  processes: number,
): ShadowReportDto {
  const comparisons = figures.pairs.map(mapComparison);
  const totals = sumPairs(figures.pairs);
  return {
    model,
    shadow: {
      version: config.version,
      sample: config.sample,
      ...(config.top_k !== undefined ? { top_k: config.top_k } : {}),
      queue_size: config.queue_size ?? DEFAULT_SHADOW_QUEUE_SIZE,
    },
    shadow_version: shadowVersion ?? null,
    since: figures.since,
    processes,
    ...mapFigures(totals),
    comparisons,
  };
}

function mapComparison(pair: PairFigures): ShadowComparisonDto {
  const numbered = /^[1-9][0-9]*$/.test(pair.shadow_version);
  return {
    serving_version: pair.serving_version,
    shadow_version: numbered ? Number(pair.shadow_version) : pair.shadow_version,
    ...mapFigures(pair),
    outputs: Object.fromEntries(Object.entries(pair.outputs).map(([name, output]) => [name, mapOutput(output)])),
  };
}

function mapFigures(pair: Pick<PairFigures, 'requests' | 'rows' | 'top1' | 'topk'>): ShadowFiguresDto {
  return {
    requests: { ...pair.requests },
    rows: pair.rows,
    top1: mapAgreement(pair.top1),
    topk: { ...mapAgreement(pair.topk), k: pair.topk.k },
  };
}

export function mapAgreement({ agree, total }: AgreementCount): ShadowAgreementDto {
  return { agree, total, rate: total === 0 ? null : agree / total, interval95: total === 0 ? null : wilsonInterval(agree, total) };
}

function mapOutput(output: OutputFigures): ShadowOutputDifferenceDto {
  return {
    rows: output.rows,
    max_absolute: output.max_absolute,
    mean_absolute: output.rows === 0 ? null : output.sum_absolute / output.rows,
    max_relative: output.max_relative,
    mean_relative: output.rows === 0 ? null : output.sum_relative / output.rows,
    largest: output.largest.map((difference) => ({ ...difference })),
  };
}

/** Requests, rows and agreements of every pair added up: the model's figures against its shadow, whichever versions served. */
function sumPairs(pairs: readonly PairFigures[]): Pick<PairFigures, 'requests' | 'rows' | 'top1' | 'topk'> {
  const sum: Pick<PairFigures, 'requests' | 'rows' | 'top1' | 'topk'> = {
    requests: { compared: 0, incomparable: 0, failed: 0, unavailable: 0, dropped: 0 },
    rows: 0,
    top1: { agree: 0, total: 0 },
    topk: { agree: 0, total: 0, k: null },
  };
  for (const pair of pairs) {
    for (const outcome of SHADOW_OUTCOMES) sum.requests[outcome] += pair.requests[outcome];
    sum.rows += pair.rows;
    sum.top1.agree += pair.top1.agree;
    sum.top1.total += pair.top1.total;
    sum.topk.agree += pair.topk.agree;
    sum.topk.total += pair.topk.total;
    sum.topk.k ??= pair.topk.k;
  }
  return sum;
}
