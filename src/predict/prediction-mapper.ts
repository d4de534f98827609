import { splitRowsToJson, type Tensor, type TensorMap } from '../inference/tensors';
import type { VersionManifest } from '../model-registry/manifest';
import type { ReadyVersion } from '../model-registry/model-version';
import type { PredictResponseDto } from './dto/predict.dto';
import { topK, type RankedClass } from './top-k';

export interface ClassPrediction {
  class_id: number;
  label: string;
  confidence: number;
  probabilities: Record<string, number>;
}

export interface TensorPrediction {
  outputs: Record<string, unknown>;
}

export interface TopKPrediction {
  top_k: RankedClass[];
}

export type Prediction = ClassPrediction | TensorPrediction | TopKPrediction;

/** Per-class probabilities of each row, or undefined when the model is not a classifier. */
export function classProbabilities(outputs: TensorMap, manifest: VersionManifest | undefined): number[][] | undefined {
  const labels = manifest?.labels;
  if (manifest?.task !== 'classification' || !labels) return undefined;
  const scores = scoresTensor(outputs, manifest.scores_output, labels.length);
  const [rows] = scores.dims;
  const result: number[][] = [];
  for (let row = 0; row < rows; row++) {
    const values = Array.from(scores.data.slice(row * labels.length, (row + 1) * labels.length) as Float32Array, Number);
    result.push(manifest.scores === 'logits' ? softmax(values) : values);
  }
  return result;
}

/**
 * Maps one batch's outputs to one answer per instance, in request order.
 * With `k`, a classifier answers its k best classes instead of every probability.
 */
export function mapPredictions(outputs: TensorMap, ready: ReadyVersion, k?: number): Prediction[] {
  const labels = ready.manifest?.labels;
  const probabilities = classProbabilities(outputs, ready.manifest);
  if (probabilities && labels && k !== undefined) {
    return probabilities.map((row) => ({ top_k: topK(row, labels, k) }));
  }
  if (probabilities && labels) {
    return probabilities.map((row) => {
      const classId = argmax(row);
      return {
        class_id: classId,
        label: labels[classId],
        confidence: row[classId],
        probabilities: Object.fromEntries(labels.map((label, i) => [label, row[i]])),
      };
    });
  }
  const perOutput = Object.entries(outputs).map(([name, tensor]) => [name, splitRowsToJson(tensor)] as const);
  const rows = perOutput[0]?.[1].length ?? 0;
  return Array.from({ length: rows }, (_, row) => ({
    outputs: Object.fromEntries(perOutput.map(([name, values]) => [name, values[row]])),
  }));
}

/** The answer of POST /v1/models/{name}/predict: the version that served it and one prediction per instance. */
export function mapPredictResponse(ready: ReadyVersion, predictions: Prediction[]): PredictResponseDto {
  return { model: ready.name, version: ready.version, predictions };
}

/**
 * The output holding class scores: the one the manifest names, else the first
 * float output shaped [batch, classes]. The registry refuses at load time a
 * manifest that does not fit the model's outputs (see manifest-checks), but a
 * named output whose class dimension the model leaves open is only known at
 * run time: one that is not [batch, classes] then is a fault, never rows cut
 * at the wrong places into plausible-looking but wrong classes.
 */
function scoresTensor(outputs: TensorMap, named: string | undefined, classes: number): Tensor {
  if (named) {
    const tensor = outputs[named];
    if (tensor.dims.length !== 2 || tensor.dims[1] !== classes) {
      throw new Error(`output ${named} has shape [${tensor.dims.join(', ')}], not [batch, ${classes}] for the manifest's ${classes} labels`);
    }
    return tensor;
  }
  const found = Object.values(outputs).find(
    (tensor) => (tensor.type === 'float32' || tensor.type === 'float64') && tensor.dims.length === 2 && tensor.dims[1] === classes,
  );
  if (!found) throw new Error(`no output of shape [batch, ${classes}] holds the class scores`);
  return found;
}

export function softmax(values: readonly number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((value) => Math.exp(value - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((value) => value / sum);
}

function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
