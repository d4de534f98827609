/**
 * The steps that turn a photo, scan or drawing of a digit (or any ink on a
 * plain background) into what an MNIST-style model was trained on: light ink
 * on a black background, cropped to the ink, scaled into a content box and
 * centred in the frame. Pure functions on one-channel images, so each step is
 * checked against an independent implementation (training/preprocess_reference.py).
 * Resizing is sharp's (image-preprocessing.ts).
 */

/** One channel, row-major, values 0-255. */
export interface GrayImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface Box {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** The background level is the border's value at this rank: above JPEG ringing and gradient lows, below stray ink. */
const BACKGROUND_PERCENTILE = 0.9;
/** Ink fainter than this (of 255, after the background is removed) does not count for the crop. */
const INK_THRESHOLD = 64;
/** An image whose ink rises less than this above its background has no ink: it stays blank. */
const MIN_INK_CONTRAST = 32;

/** The outermost ring of pixels, about 2% of the shorter side deep (at least one pixel). */
export function borderValues(image: GrayImage): number[] {
  const { width, height, data } = image;
  const depth = Math.max(1, Math.round(Math.min(width, height) * 0.02));
  const values: number[] = [];
  for (let y = 0; y < height; y++) {
    const edgeRow = y < depth || y >= height - depth;
    for (let x = 0; x < width; x++) {
      if (edgeRow || x < depth || x >= width - depth) values.push(data[y * width + x]);
    }
  }
  return values;
}

/** The value at rank `q` (0-1) of the sorted values, lower nearest rank. */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))];
}

/** Whether the image's background is light (its border's median above mid-grey): dark ink on paper. */
export function hasLightBackground(image: GrayImage): boolean {
  return percentile(borderValues(image), 0.5) > 127;
}

export function inverted(image: GrayImage): GrayImage {
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = 255 - image.data[i];
  return { ...image, data };
}

/**
 * Light ink on black: the background level (from the border) becomes 0 and
 * the brightest ink 255, linearly, so grey paper, gradients and JPEG noise
 * vanish and faint pencil gets MNIST's contrast. An image with no ink above
 * its background comes back black.
 */
export function isolateInk(image: GrayImage): GrayImage {
  const background = percentile(borderValues(image), BACKGROUND_PERCENTILE);
  let peak = 0;
  for (const value of image.data) if (value > peak) peak = value;
  const data = new Uint8Array(image.data.length);
  if (peak - background >= MIN_INK_CONTRAST) {
    const gain = 255 / (peak - background);
    for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.max(0, Math.floor((image.data[i] - background) * gain + 0.5)));
  }
  return { ...image, data };
}

/** The smallest box holding every pixel of at least INK_THRESHOLD; undefined for a blank image. */
export function inkBox(image: GrayImage): Box | undefined {
  const { width, height, data } = image;
  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[y * width + x] < INK_THRESHOLD) continue;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      if (y > bottom) bottom = y;
    }
  }
  return right < 0 ? undefined : { left, top, width: right - left + 1, height: bottom - top + 1 };
}

export function crop(image: GrayImage, box: Box): GrayImage {
  const data = new Uint8Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const from = (box.top + y) * image.width + box.left;
    data.set(image.data.subarray(from, from + box.width), y * box.width);
  }
  return { data, width: box.width, height: box.height };
}

/** The ink-weighted mean position (column, row), or the middle of a blank image. */
export function centreOfMass(image: GrayImage): { x: number; y: number } {
  let total = 0;
  let sumX = 0;
  let sumY = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const value = image.data[y * image.width + x];
      total += value;
      sumX += value * x;
      sumY += value * y;
    }
  }
  return total === 0 ? { x: (image.width - 1) / 2, y: (image.height - 1) / 2 } : { x: sumX / total, y: sumY / total };
}

/**
 * Pastes `content` into a black frame: its box centred (`box`), or shifted
 * by whole pixels so its centre of mass lands on the frame's centre (`mass`),
 * as MNIST was made; whatever a shift pushes past the edge is cut.
 */
export function placeInFrame(content: GrayImage, width: number, height: number, centre: 'box' | 'mass'): GrayImage {
  let left: number;
  let top: number;
  if (centre === 'mass') {
    const mass = centreOfMass(content);
    left = Math.floor((width - 1) / 2 - mass.x + 0.5);
    top = Math.floor((height - 1) / 2 - mass.y + 0.5);
  } else {
    left = Math.floor((width - content.width) / 2);
    top = Math.floor((height - content.height) / 2);
  }
  const data = new Uint8Array(width * height);
  for (let y = 0; y < content.height; y++) {
    const row = top + y;
    if (row < 0 || row >= height) continue;
    for (let x = 0; x < content.width; x++) {
      const column = left + x;
      if (column >= 0 && column < width) data[row * width + column] = content.data[y * content.width + x];
    }
  }
  return { data, width, height };
}

/** The size `box` takes when scaled to fit in `limit` keeping its aspect ratio (sharp's fit "inside"). */
export function fittedSize(box: { width: number; height: number }, limit: { width: number; height: number }): { width: number; height: number } {
  const scale = Math.min(limit.width / box.width, limit.height / box.height);
  return { width: Math.max(1, Math.round(box.width * scale)), height: Math.max(1, Math.round(box.height * scale)) };
}
