import { plainToInstance } from 'class-transformer';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImagePreprocessing } from '../model-registry/manifest';
import { decodeImage, writePixels } from './image-preprocessing';

const preprocessing = (fields: Record<string, unknown>) =>
  plainToInstance(ImagePreprocessing, { color: 'grayscale', width: 4, height: 4, layout: 'NCHW', ...fields });

/** A 16 x 16 image: a 4-pixel-wide bar of `ink` across the middle of `paper`, with an alpha channel when given. */
async function barPng(paper: number, ink: number, alpha?: { paper: number; ink: number }): Promise<Buffer> {
  const channels = alpha ? 2 : 1;
  const data = Buffer.alloc(16 * 16 * channels);
  for (let y = 0; y < 16; y++) {
    for (let x = 0; x < 16; x++) {
      const onBar = y >= 6 && y < 10;
      data[(y * 16 + x) * channels] = onBar ? ink : paper;
      if (alpha) data[(y * 16 + x) * channels + 1] = onBar ? alpha.ink : alpha.paper;
    }
  }
  return sharp(data, { raw: { width: 16, height: 16, channels } }).png().toBuffer();
}

describe('automatic polarity', () => {
  it('inverts a dark-on-light image for a model trained on light ink, and leaves a light-on-dark one', async () => {
    const pre = preprocessing({ polarity: 'auto', ink: 'light' });
    expect((await decodeImage({ filename: 'a', data: await barPng(240, 20) }, pre, 1e6, 'image[0]')).invert).toBe(true);
    expect((await decodeImage({ filename: 'b', data: await barPng(10, 250) }, pre, 1e6, 'image[0]')).invert).toBe(false);
  });

  it('inverts the other way for a model trained on dark ink', async () => {
    const pre = preprocessing({ polarity: 'auto', ink: 'dark' });
    expect((await decodeImage({ filename: 'a', data: await barPng(240, 20) }, pre, 1e6, 'image[0]')).invert).toBe(false);
    expect((await decodeImage({ filename: 'b', data: await barPng(10, 250) }, pre, 1e6, 'image[0]')).invert).toBe(true);
  });

  it('reads transparency as paper: dark strokes on a transparent canvas are dark on light', async () => {
    const pre = preprocessing({ polarity: 'auto', ink: 'light' });
    const strokes = await barPng(0, 0, { paper: 0, ink: 255 });
    expect((await decodeImage({ filename: 'c', data: strokes }, pre, 1e6, 'image[0]')).invert).toBe(true);
  });

  it('applies to pixel arrays sent as JSON too (read from their border)', () => {
    const pre = preprocessing({ polarity: 'auto', ink: 'light', scale: 255 });
    const paper = [255, 255, 255, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255, 255, 255, 255];
    const target = new Float32Array(16);
    writePixels(target, 0, { data: paper, channels: 1 }, pre);
    expect(Array.from(target)).toEqual(paper.map((v) => (255 - v) / 255));
  });

  it('keeps `invert` as it is when polarity is as_is', () => {
    const target = new Float32Array(16);
    writePixels(target, 0, { data: new Array(16).fill(255), channels: 1 }, preprocessing({ invert: true }));
    expect(Array.from(target)).toEqual(new Array(16).fill(0));
  });
});

describe('channel order', () => {
  it('feeds BGR models blue first', () => {
    const pre = preprocessing({ color: 'rgb', width: 1, height: 1, channel_order: 'BGR' });
    const target = new Float32Array(3);
    writePixels(target, 0, { data: [10, 20, 30], channels: 3 }, pre);
    expect(Array.from(target)).toEqual([30, 20, 10]);
  });
});
