import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { plainToInstance } from 'class-transformer';
import { ImagePreprocessing } from '../model-registry/manifest';
import { decodeImage } from './image-preprocessing';
import { centreOfMass, crop, fittedSize, type GrayImage, hasLightBackground, inkBox, inverted, isolateInk, placeInFrame } from './ink-fitting';

/**
 * The ink preprocessing against an independent implementation of the same
 * steps in numpy and PIL (training/preprocess_reference.py, which wrote the
 * fixtures): the integer steps must agree exactly; the final frame, where
 * sharp's and PIL's Lanczos filters differ in the last bits, within a tolerance.
 */
const FIXTURES = path.resolve(__dirname, '../../test/fixtures/preprocessing');

interface Reference {
  light_background: boolean;
  isolated_sha256: string;
  box: [number, number, number, number] | null;
  size: [number, number] | null;
  shift: [number, number] | null;
  frame: number[];
}

const references = JSON.parse(readFileSync(path.join(FIXTURES, 'cases.json'), 'utf8')) as Record<string, Reference>;

async function grayOf(file: Buffer): Promise<GrayImage> {
  const { data, info } = await sharp(file).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const MNIST_STYLE = plainToInstance(ImagePreprocessing, {
  color: 'grayscale',
  width: 28,
  height: 28,
  layout: 'NCHW',
  polarity: 'auto',
  ink: 'light',
  fit: 'ink',
  content: { width: 20, height: 20 },
  centre: 'mass',
  kernel: 'lanczos3',
});

describe.each(Object.entries(references))('ink fitting of %s, against the numpy/PIL reference', (name, reference) => {
  const file = readFileSync(path.join(FIXTURES, `${name}.png`));

  it('reads the polarity, removes the background and finds the ink box exactly as the reference', async () => {
    const gray = await grayOf(file);
    expect(hasLightBackground(gray)).toBe(reference.light_background);
    const ink = isolateInk(reference.light_background ? inverted(gray) : gray);
    expect(createHash('sha256').update(ink.data).digest('hex')).toBe(reference.isolated_sha256);
    const box = inkBox(ink);
    expect(box ? [box.left, box.top, box.width, box.height] : null).toEqual(reference.box);
    if (box) expect(fittedSize(box, { width: 20, height: 20 })).toEqual({ width: reference.size![0], height: reference.size![1] });
  });

  it('makes the 28 x 28 frame the reference makes, within resampling differences', async () => {
    const pixels = await decodeImage({ filename: name, data: file }, MNIST_STYLE, 25_000_000, 'image[0]');
    expect(pixels.invert).toBe(false);
    const frame = Array.from(pixels.data as Uint8Array);
    const meanAbsoluteDifference = frame.reduce((sum, value, i) => sum + Math.abs(value - reference.frame[i]), 0) / frame.length;
    expect(meanAbsoluteDifference).toBeLessThan(4);
    const ours = centreOfMass({ data: Uint8Array.from(frame), width: 28, height: 28 });
    const theirs = centreOfMass({ data: Uint8Array.from(reference.frame), width: 28, height: 28 });
    expect(Math.abs(ours.x - theirs.x)).toBeLessThan(0.5);
    expect(Math.abs(ours.y - theirs.y)).toBeLessThan(0.5);
  });
});

describe('ink fitting steps', () => {
  const image = (rows: number[][]): GrayImage => ({ data: Uint8Array.from(rows.flat()), width: rows[0].length, height: rows.length });

  it('crops to a box and pastes with the centre of mass on the frame centre, cutting what falls outside', () => {
    const content = crop(image([[0, 0, 0], [0, 200, 100], [0, 0, 0]]), { left: 1, top: 1, width: 2, height: 1 });
    expect(Array.from(content.data)).toEqual([200, 100]);
    // Centre of mass at x = 1/3: shifted so it lands on (3 - 1) / 2 = 1, rounding half up.
    expect(Array.from(placeInFrame(content, 3, 1, 'mass').data)).toEqual([0, 200, 100]);
    expect(Array.from(placeInFrame(content, 4, 1, 'box').data)).toEqual([0, 200, 100, 0]);
    expect(Array.from(placeInFrame(image([[9, 0, 0, 0, 0]]), 3, 1, 'mass').data)).toEqual([0, 9, 0]);
  });

  it('leaves an image without ink blank, and keeps the aspect ratio of tall and wide boxes', () => {
    expect(inkBox(isolateInk(image([[10, 12], [11, 30]])))).toBeUndefined();
    expect(fittedSize({ width: 10, height: 100 }, { width: 20, height: 20 })).toEqual({ width: 2, height: 20 });
    expect(fittedSize({ width: 300, height: 3 }, { width: 20, height: 20 })).toEqual({ width: 20, height: 1 });
  });
});
