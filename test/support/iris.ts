import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { REPO_MODELS_DIR } from './test-app';

/**
 * What onnxruntime-node itself answers for these flowers with a bundled iris
 * version, one probability row per flower: the reference every API is checked against.
 */
export async function irisProbabilities(version: number, rows: readonly number[][]): Promise<number[][]> {
  const session = await ort.InferenceSession.create(path.join(REPO_MODELS_DIR, 'iris', String(version), 'model.onnx'));
  try {
    const result = await session.run({ input: new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]) });
    const data = Array.from(result.probabilities.data as Float32Array);
    return rows.map((_, r) => data.slice(r * 3, r * 3 + 3));
  } finally {
    await session.release();
  }
}

/** The bundled iris models' labels, in class id order. */
export const IRIS_LABELS = ['setosa', 'versicolor', 'virginica'] as const;

/** One probability row keyed by label, as /v1 answers `probabilities`. */
export function byLabel(row: readonly number[]): Record<string, number> {
  return Object.fromEntries(IRIS_LABELS.map((label, i) => [label, row[i]]));
}

/** The /v1 prediction for one probability row: the best class, its label and confidence, and every probability by label. */
export function irisPrediction(row: readonly number[]) {
  const best = row.indexOf(Math.max(...row));
  return { class_id: best, label: IRIS_LABELS[best], confidence: row[best], probabilities: byLabel(row) };
}
