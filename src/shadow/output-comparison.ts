import { halfToFloat, type Tensor, type TensorMap } from '../inference/tensors';
import type { VersionManifest } from '../model-registry/manifest';

/**
 * How two answers to the same inputs are compared: which output holds a classifier's scores (its
 * top-1 class and top-k set are compared per row), and k. Outputs that are class labels (integers
 * or strings, one per row) compare as top-1 when there are no scores; every other numeric output is
 * compared by its differences.
 */
export interface ComparisonPlan {
  /** The output of class scores, per the serving version's manifest; undefined for a model that is not a classifier. */
  readonly scores?: string;
  /** Classes compared as a set; default min(3, classes - 1). */
  readonly topK?: number;
}

/** Agreements and disagreements of one kind (top-1 class, top-k set), counted in rows. */
export interface AgreementCount {
  agree: number;
  total: number;
}

/** How far the shadow's row of one output is from the served one. */
export interface RowDifference {
  readonly output: string;
  /** The row of the compared tensors: the instance in its run. */
  readonly row: number;
  /** The largest |served - shadow| over the row's elements. */
  readonly absolute: number;
  /**
   * `absolute` over the largest magnitude in the row, served or shadow (0 when both are all 0): scaled by
   * the row and not element by element, so near-zero elements (a probability of 1e-8 against 1e-6) cannot
   * make a negligible change look total. At most 2.
   */
  readonly relative: number;
}

export type OutputComparison =
  | {
      readonly comparable: true;
      /** Rows compared (the batch dimension). */
      readonly rows: number;
      readonly top1?: AgreementCount;
      readonly topk?: AgreementCount & { readonly k: number };
      readonly differences: readonly RowDifference[];
    }
  | { readonly comparable: false; readonly reason: string };

/** The comparison plan of a version from its manifest: a classifier's scores output, as /v1 finds it (prediction-mapper). */
export function comparisonPlanOf(manifest: VersionManifest | undefined, outputs: TensorMap, topK?: number): ComparisonPlan {
  const labels = manifest?.labels;
  if (manifest?.task !== 'classification' || !labels) return { topK };
  const named = manifest.scores_output;
  const scores =
    named ??
    Object.keys(outputs).find((name) => {
      const tensor = outputs[name];
      return (tensor.type === 'float32' || tensor.type === 'float64') && tensor.dims.length === 2 && tensor.dims[1] === labels.length;
    });
  return { scores, topK };
}

/** Compares the shadow's outputs with the served ones, row by row; outputs the served answer has must be in the shadow's, shaped alike. */
export function compareOutputs(served: TensorMap, shadow: TensorMap, plan: ComparisonPlan): OutputComparison {
  const names = Object.keys(served);
  if (names.length === 0) return { comparable: false, reason: 'the served answer has no outputs' };
  for (const name of names) {
    const theirs = shadow[name];
    if (!theirs) return { comparable: false, reason: `the shadow answered no output "${name}"` };
    const ours = served[name];
    if (!sameDims(ours.dims, theirs.dims)) {
      return { comparable: false, reason: `output "${name}" is [${ours.dims.join(', ')}] served and [${theirs.dims.join(', ')}] in the shadow` };
    }
    if ((ours.type === 'string') !== (theirs.type === 'string')) {
      return { comparable: false, reason: `output "${name}" is ${ours.type} served and ${theirs.type} in the shadow` };
    }
  }
  const scores = plan.scores !== undefined && served[plan.scores]?.dims.length === 2 ? plan.scores : undefined;
  const labelOutputs = names.filter((name) => name !== scores && isLabelOutput(served[name]));
  const rows = rowsOf(served[scores ?? names[0]]);
  let top1: AgreementCount | undefined;
  let topk: (AgreementCount & { k: number }) | undefined;
  if (scores !== undefined) {
    const classes = served[scores].dims[1];
    const k = Math.min(classes, plan.topK ?? Math.max(1, Math.min(3, classes - 1)));
    ({ top1, topk } = compareScores(served[scores], shadow[scores], k));
  } else if (labelOutputs.length > 0) {
    top1 = compareLabels(served[labelOutputs[0]], shadow[labelOutputs[0]]);
  }
  const differences: RowDifference[] = [];
  for (const name of names) {
    const tensor = served[name];
    if (tensor.type === 'string' || labelOutputs.includes(name)) continue;
    differences.push(...rowDifferences(name, tensor, shadow[name]));
  }
  return { comparable: true, rows, ...(top1 ? { top1 } : {}), ...(topk ? { topk } : {}), differences };
}

/** One label per row: integers or strings shaped [rows] or [rows, 1]. */
function isLabelOutput(tensor: Tensor): boolean {
  const integer = tensor.type.startsWith('int') || tensor.type.startsWith('uint') || tensor.type === 'string';
  return integer && (tensor.dims.length === 1 || (tensor.dims.length === 2 && tensor.dims[1] === 1));
}

function compareScores(served: Tensor, shadow: Tensor, k: number): { top1: AgreementCount; topk: AgreementCount & { k: number } } {
  const [rows, classes] = served.dims;
  const top1: AgreementCount = { agree: 0, total: rows };
  const topk = { agree: 0, total: rows, k };
  for (let row = 0; row < rows; row++) {
    const ours = rankedClasses(served, row * classes, classes, k);
    const theirs = rankedClasses(shadow, row * classes, classes, k);
    if (ours[0] === theirs[0]) top1.agree++;
    if (sameSet(ours, theirs)) topk.agree++;
  }
  return { top1, topk };
}

/** The k best classes of one row, best first; ties keep the lower class first, as /v1's top_k does. */
export function rankedClasses(scores: Tensor, offset: number, classes: number, k: number): number[] {
  // An insertion into a list of at most k: k is small, and a sort of every class per row showed in profiles.
  const best: number[] = [];
  for (let c = 0; c < classes; c++) {
    const value = numberAt(scores, offset + c);
    let at = best.length;
    while (at > 0 && value > numberAt(scores, offset + best[at - 1])) at--;
    if (at >= k) continue;
    best.splice(at, 0, c);
    if (best.length > k) best.pop();
  }
  return best;
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value) => b.includes(value));
}

function compareLabels(served: Tensor, shadow: Tensor): AgreementCount {
  const rows = served.dims[0];
  let agree = 0;
  for (let row = 0; row < rows; row++) if (served.data[row] === shadow.data[row]) agree++;
  return { agree, total: rows };
}

function rowDifferences(output: string, served: Tensor, shadow: Tensor): RowDifference[] {
  const rows = rowsOf(served);
  const size = rows === 0 ? 0 : served.data.length / rows;
  const differences: RowDifference[] = [];
  for (let row = 0; row < rows; row++) {
    let absolute = 0;
    let scale = 0;
    for (let i = row * size; i < (row + 1) * size; i++) {
      const a = numberAt(served, i);
      const b = numberAt(shadow, i);
      // Both NaN is the same answer; NaN against a number is as far as answers get.
      const difference = Number.isNaN(a) && Number.isNaN(b) ? 0 : Number.isNaN(a) || Number.isNaN(b) ? Infinity : Math.abs(a - b);
      if (difference > absolute) absolute = difference;
      scale = Math.max(scale, Math.abs(a) || 0, Math.abs(b) || 0);
    }
    const relative = absolute === 0 ? 0 : Number.isFinite(absolute) ? absolute / scale : Infinity;
    differences.push({ output, row, absolute, relative });
  }
  return differences;
}

/** Rows of a tensor: its first dimension; a tensor without one (a scalar) is one row. */
function rowsOf(tensor: Tensor): number {
  return tensor.dims.length === 0 ? 1 : tensor.dims[0];
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

function numberAt(tensor: Tensor, index: number): number {
  const value = tensor.data[index];
  if (typeof value === 'bigint') return Number(value);
  if (tensor.type === 'float16') return halfToFloat(value as number);
  return value as number;
}
