import { describe, expect, it } from 'vitest';
import { DIGIT_FORMS, heldOutDigits } from './support/digit-forms';
import { seededRandom } from './support/seeded-random';
import { REPO_MODELS_DIR, useTestApp } from './support/test-app';

/** Held-out digits per class in each form: 1,000 uploads per form. */
const PER_CLASS = 100;
const FILES_PER_REQUEST = 32;
/** What the accuracy table of docs/api.md ("Classify images") promises for every form. */
const REQUIRED_ACCURACY = 0.97;

/**
 * The bundled digit model through the HTTP endpoint, on MNIST digits it never
 * saw (training/held-out.md), uploaded as people make images: as MNIST has
 * them, inverted, drawn dark on paper on larger canvases anywhere on them,
 * JPEG-compressed, on grey or gradient backgrounds (test/support/digit-forms.ts).
 * The manifest's preprocessing (polarity "auto", fit "ink") brings each to
 * the model's form. The figures are the accuracy table of docs/api.md ("Classify images").
 */
describe('digit model accuracy through the HTTP endpoint, by the form of the image', () => {
  const server = useTestApp({ env: { MODELS_DIR: REPO_MODELS_DIR }, listen: true });
  const digits = heldOutDigits(PER_CLASS);

  it.each(DIGIT_FORMS.map((form) => [form.name, form] as const))(`classifies at least 97%% of ${PER_CLASS * 10} held-out digits right: %s`, async (_name, form) => {
    const random = seededRandom(20261130);
    let correct = 0;
    for (let start = 0; start < digits.length; start += FILES_PER_REQUEST) {
      const chunk = digits.slice(start, start + FILES_PER_REQUEST);
      const upload = new FormData();
      for (const [i, digit] of chunk.entries()) {
        const { file, type } = await form.make(digit, random);
        upload.append('image', new Blob([file], { type }), `${start + i}`);
      }
      const response = await fetch(`${server.url}/v1/models/digits/predict?top_k=1`, { method: 'POST', body: upload });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { predictions: Array<{ top_k: Array<{ class_id: number }> }> };
      body.predictions.forEach((prediction, i) => {
        if (prediction.top_k[0].class_id === chunk[i].label) correct++;
      });
    }
    const accuracy = correct / digits.length;
    console.log(`[digits] ${form.name}: ${correct}/${digits.length} = ${(accuracy * 100).toFixed(1)}%`);
    expect(accuracy).toBeGreaterThanOrEqual(REQUIRED_ACCURACY);
  });
});
