import type { Tensor, TensorMap } from '../inference/tensors';
import type { ReadyVersion } from '../model-registry/model-version';
import { binIndex } from './psi';

/** A 16-bit slot value meaning "this instance has no bin in this column" (NaN, or a tensor of another shape). */
const NOT_COUNTED = 0xffff;

/** One compared distribution: a feature (a column of the model's input) or the predicted class. */
export interface DriftColumn {
  /** The feature's name; for the predictions column, `predictions`. */
  readonly name: string;
  readonly kind: 'feature' | 'predictions';
  /** Cut points (features); empty for predictions, whose bins are the classes. */
  readonly edges: Float64Array;
  readonly reference: readonly number[];
  /** Features: the column of the input row it is read from. */
  readonly inputColumn: number;
}

/** What a version's drift is computed from: its reference and where each value is found in a batch. */
export interface DriftLayout {
  readonly window: number;
  readonly columns: readonly DriftColumn[];
  /** The single input the features are columns of, and its row width. */
  readonly input?: { readonly name: string; readonly width: number };
  /** The output holding the class scores (their argmax is the predicted class). */
  readonly scores?: { readonly name: string; readonly classes: number };
  /** The manifest's labels, naming the prediction bins. */
  readonly labels?: readonly string[];
  readonly description?: string;
}

/** The layout of a version whose manifest has a drift reference, else undefined. */
export function driftLayoutOf(ready: ReadyVersion): DriftLayout | undefined {
  const manifest = ready.manifest;
  const drift = manifest?.drift;
  if (!manifest || !drift) return undefined;
  const columns: DriftColumn[] = [];
  let input: DriftLayout['input'];
  const features = manifest.features ?? [];
  const spec = ready.model.inputs[0];
  if (drift.features.size > 0 && spec && ready.model.inputs.length === 1 && isNumeric(spec.type)) {
    input = { name: spec.name, width: features.length };
    for (const [name, reference] of drift.features) {
      columns.push({ name, kind: 'feature', edges: Float64Array.from(reference.edges), reference: reference.counts, inputColumn: features.indexOf(name) });
    }
  }
  let scores: DriftLayout['scores'];
  const labels = manifest.labels;
  if (drift.predictions && labels) {
    const classes = labels.length;
    const output =
      manifest.scores_output ??
      ready.model.outputs.find(
        (out) => (out.type === 'float32' || out.type === 'float64') && out.dims.length === 2 && (out.dims[1] === null || out.dims[1] === classes),
      )?.name;
    if (output) {
      scores = { name: output, classes };
      columns.push({ name: 'predictions', kind: 'predictions', edges: new Float64Array(0), reference: drift.predictions.counts, inputColumn: -1 });
    }
  }
  if (columns.length === 0) return undefined;
  return { window: drift.window, columns, input, scores, labels, description: drift.reference };
}

function isNumeric(type: string | undefined): boolean {
  return type !== undefined && type !== 'string' && type !== 'bool';
}

/** A window's counts as plain arrays: what one HTTP process tells another, and what reports are built from. */
export interface WindowCounts {
  /** Instances in the window. */
  instances: number;
  /** Per column, its bins' counts. */
  counts: number[][];
}

/**
 * The last `window` instances a version answered, as bin numbers, and the counts per bin they add up
 * to: a ring buffer of 16-bit bin numbers (one per column per instance), so adding an instance past the
 * window's size takes the oldest one's bins out of the counts. Also keeps, per bin, the total ever
 * counted (never decremented), which the Prometheus counters report. Nothing is allocated per instance.
 */
export class DriftWindow {
  private readonly ring: Uint16Array;
  /** Per column, where its bins start in `live` and `total`. */
  private readonly offsets: Uint32Array;
  private readonly live: Uint32Array;
  private readonly total: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(readonly layout: DriftLayout) {
    const columns = layout.columns.length;
    this.ring = new Uint16Array(layout.window * columns);
    this.offsets = new Uint32Array(columns + 1);
    layout.columns.forEach((column, c) => (this.offsets[c + 1] = this.offsets[c] + column.reference.length));
    this.live = new Uint32Array(this.offsets[columns]);
    this.total = new Float64Array(this.offsets[columns]);
  }

  /** Instances in the window now (at most its size). */
  get instances(): number {
    return this.filled;
  }

  /** Counts the `rows` instances of one answered batch; a tensor that is missing or of another shape counts in no bin. */
  observe(rows: number, inputs: TensorMap, outputs: TensorMap): void {
    const { columns, input, scores } = this.layout;
    const features = input ? rowsOf(inputs[input.name], rows, input.width) : undefined;
    const scoreData = scores ? rowsOf(outputs[scores.name], rows, scores.classes) : undefined;
    const width = columns.length;
    for (let row = 0; row < rows; row++) {
      const slot = this.next * width;
      if (this.filled === this.layout.window) this.evict(slot);
      else this.filled++;
      for (let c = 0; c < width; c++) {
        const column = columns[c];
        let bin = -1;
        if (column.kind === 'feature') {
          if (features) bin = binIndex(column.edges, Number(features[row * input!.width + column.inputColumn]));
        } else if (scoreData) {
          bin = argmax(scoreData, row * scores!.classes, scores!.classes);
        }
        if (bin < 0) {
          this.ring[slot + c] = NOT_COUNTED;
        } else {
          this.ring[slot + c] = bin;
          this.live[this.offsets[c] + bin]++;
          this.total[this.offsets[c] + bin]++;
        }
      }
      this.next = this.next + 1 === this.layout.window ? 0 : this.next + 1;
    }
  }

  /** The window's counts now. */
  counts(): WindowCounts {
    return { instances: this.filled, counts: this.layout.columns.map((_, c) => Array.from(this.liveCounts(c))) };
  }

  /** One column's counts in the window now, without a copy (read at once, for its PSI). */
  liveCounts(column: number): Uint32Array {
    return this.live.subarray(this.offsets[column], this.offsets[column + 1]);
  }

  /** Per column and bin, every instance ever counted (for the counters). */
  totals(column: number): Float64Array {
    return this.total.subarray(this.offsets[column], this.offsets[column + 1]);
  }

  private evict(slot: number): void {
    for (let c = 0; c < this.layout.columns.length; c++) {
      const bin = this.ring[slot + c];
      if (bin !== NOT_COUNTED) this.live[this.offsets[c] + bin]--;
    }
  }
}

/** The tensor's data when it is [rows, width] of numbers, else undefined. */
function rowsOf(tensor: Tensor | undefined, rows: number, width: number): ArrayLike<number | bigint> | undefined {
  if (!tensor || tensor.type === 'string' || tensor.type === 'bool') return undefined;
  if (tensor.dims.length !== 2 || tensor.dims[0] < rows || tensor.dims[1] !== width) return undefined;
  return tensor.data as ArrayLike<number | bigint>;
}

/** The index of the largest score of one row; -1 when a score is NaN (no class). */
function argmax(data: ArrayLike<number | bigint>, start: number, classes: number): number {
  let best = 0;
  let bestValue = Number(data[start]);
  if (bestValue !== bestValue) return -1;
  for (let c = 1; c < classes; c++) {
    const value = Number(data[start + c]);
    if (value !== value) return -1;
    if (value > bestValue) {
      best = c;
      bestValue = value;
    }
  }
  return best;
}
