import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { digitPng, pngDeclaring } from './support/images';
import { multipartBody } from './support/multipart';
import { useTestApp } from './support/test-app';

const FIXTURES = path.resolve(__dirname, 'fixtures/digits');
const seven = readFileSync(path.join(FIXTURES, 'seven.png'));

interface Ranked {
  label: string;
  class_id: number;
  probability: number;
}

describe('image classification on the bundled digit model', () => {
  const server = useTestApp({
    models: ['digits', 'iris'],
    env: { MAX_UPLOAD_BYTES: '65536', MAX_FILES_PER_REQUEST: '4', MAX_IMAGE_PIXELS: '4000000', MAX_UPLOAD_TOTAL_BYTES: '150000' },
  });

  async function upload(files: Parameters<typeof multipartBody>[0], query = '', headers: Record<string, string> = {}, model = 'digits') {
    const { payload, headers: formHeaders } = await multipartBody(files);
    return server.app.inject({ method: 'POST', url: `/v1/models/${model}/predict${query}`, payload, headers: { ...formHeaders, ...headers } });
  }

  it('answers a handwritten 7 with label 7 first and top-5 probabilities summing to about 1', async () => {
    const response = await upload([{ filename: 'seven.png', data: seven, type: 'image/png' }]);
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-model-version']).toBe('1');
    const body = response.json();
    expect(body).toMatchObject({ model: 'digits', version: 1 });
    const top: Ranked[] = body.predictions[0].top_k;
    expect(top).toHaveLength(5);
    expect(top[0]).toMatchObject({ label: '7', class_id: 7 });
    expect(top.map((entry) => entry.probability)).toEqual([...top.map((entry) => entry.probability)].sort((a, b) => b - a));
    expect(top.reduce((sum, entry) => sum + entry.probability, 0)).toBeGreaterThan(0.99);
  });

  it('answers every image of a request in upload order, in one batch, whatever its format and size', async () => {
    const digits = [0, 3, 7, 9];
    const encoded = await Promise.all(
      digits.map(async (digit, i) => {
        const png = readFileSync(path.join(FIXTURES, `${digit}.png`));
        const image = sharp(png).resize(28 * (i + 1), 28 * (i + 1));
        const data = await [image.png(), image.jpeg({ quality: 95 }), image.webp({ lossless: true }), image.gif()][i].toBuffer();
        return { filename: `${digit}.${['png', 'jpg', 'webp', 'gif'][i]}`, data };
      }),
    );
    const response = await upload(encoded);
    expect(response.statusCode).toBe(200);
    expect(response.json().predictions.map((p: { top_k: Ranked[] }) => p.top_k[0].label)).toEqual(digits.map(String));
  });

  it('honours EXIF orientation', async () => {
    // Stored rotated by 90 degrees, with the EXIF tag that says how to turn it back.
    const rotated = await sharp(seven).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 100 }).toBuffer();
    const response = await upload([{ filename: 'rotated.jpg', data: rotated }]);
    expect(response.json().predictions[0].top_k[0].label).toBe('7');
  });

  it('caps top_k at the number of classes and honours smaller values', async () => {
    const all = await upload([{ filename: 'seven.png', data: seven }], '?top_k=50');
    expect(all.json().predictions[0].top_k).toHaveLength(10);
    const two = await upload([{ filename: 'seven.png', data: seven }], '?top_k=2');
    expect(two.json().predictions[0].top_k).toHaveLength(2);
    expect((await upload([{ filename: 'seven.png', data: seven }], '?top_k=0')).statusCode).toBe(422);
    expect((await upload([{ filename: 'seven.png', data: seven }], '?top_k=x')).statusCode).toBe(422);
  });

  it('still accepts JSON instances (28x28 pixel arrays), answered in the same shape', async () => {
    const { data } = await sharp(seven).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    const rows = Array.from({ length: 28 }, (_, y) => Array.from(data.subarray(y * 28, y * 28 + 28)));
    const response = await server.app.inject({
      method: 'POST',
      url: '/v1/models/digits/predict',
      headers: { 'content-type': 'application/json', 'x-model-version': 'stable' },
      payload: JSON.stringify({ instances: [rows] }),
    });
    expect(response.statusCode).toBe(200);
    const upload7 = (await upload([{ filename: 'seven.png', data: seven }])).json().predictions[0].top_k;
    const json7 = response.json().predictions[0].top_k;
    expect(json7[0].label).toBe('7');
    // The same five classes in the same order, probabilities within float32 tolerance.
    expect(json7).toMatchModelOutput(upload7);
  });

  it('refuses JSON pixel arrays of the wrong shape or range, naming the element', async () => {
    const bad = Array.from({ length: 28 }, () => Array(28).fill(0));
    bad[3][4] = 300;
    const response = await server.app.inject({
      method: 'POST',
      url: '/v1/models/digits/predict',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ instances: [bad, [[1, 2]]] }),
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().details).toEqual([
      'instances[0][3][4] must be a pixel value between 0 and 255',
      'instances[1] must have 28 elements, got 1 (expected shape [28, 28])',
    ]);
  });

  describe('bad images are client errors and the service stays live', () => {
    const cases: Array<[string, () => Promise<Parameters<typeof multipartBody>[0]>, number, string]> = [
      ['not an image', async () => [{ filename: 'notes.txt', data: 'hello, I am text' }], 422, 'image[0] (notes.txt) is not an image'],
      ['a truncated PNG', async () => [{ filename: 'cut.png', data: (await digitPng(Array(784).fill(128), 200)).subarray(0, 300) }], 422, 'image[0] (cut.png) could not be decoded'],
      ['an empty part', async () => [{ filename: 'empty.png', data: Buffer.alloc(0) }], 422, 'image[0] (empty.png) is empty'],
      ['a wrong field name', async () => [{ field: 'file', filename: 'seven.png', data: seven }], 422, 'send images in the field "image"'],
      ['a decompression bomb (50000x50000 declared)', async () => [{ filename: 'bomb.png', data: pngDeclaring(50_000, 50_000) }], 422, 'declares 50000x50000 pixels, more than the limit of 4000000 (MAX_IMAGE_PIXELS)'],
      ['a strip within the pixel limit but 3,000,000 pixels long', async () => [{ filename: 'strip.png', data: pngDeclaring(1, 3_000_000) }], 422, 'declares 1x3000000 pixels; neither side may exceed 16384 pixels'],
      ['files over the total upload limit together, each under its own', async () => Array.from({ length: 3 }, (_, i) => ({ filename: `${i}.bin`, data: 'x'.repeat(60_000) })), 413, 'larger than 150000 bytes (MAX_UPLOAD_TOTAL_BYTES)'],
      ['an SVG', async () => [{ filename: 'x.svg', data: '<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><rect width="28" height="28"/></svg>' }], 422, 'is svg; send PNG, JPEG, WebP or GIF'],
      ['a file over the upload limit', async () => [{ filename: 'big.png', data: await sharp({ create: { width: 400, height: 400, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer() }], 413, 'MAX_UPLOAD_BYTES'],
      ['too many files', async () => Array.from({ length: 5 }, (_, i) => ({ filename: `${i}.png`, data: seven })), 413, 'MAX_FILES_PER_REQUEST'],
      ['no file at all', async () => [], 422, 'no image'],
    ];

    it.each(cases)('%s', async (_name, files, status, message) => {
      const response = await upload(await files());
      expect(response.statusCode).toBe(status);
      expect(response.json().message).toContain(message);
      expect((await server.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    });

    it('a malformed multipart body is a 400', async () => {
      const response = await server.app.inject({
        method: 'POST',
        url: '/v1/models/digits/predict',
        headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
        payload: '--xyz\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\nabc',
      });
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
    });

    it('an upload to a model that takes no images is a 415', async () => {
      const response = await upload([{ filename: 'seven.png', data: seven }], '', {}, 'iris');
      expect(response.statusCode).toBe(415);
      expect(response.json().message).toContain('takes JSON instances, not image uploads');
    });
  });
});
