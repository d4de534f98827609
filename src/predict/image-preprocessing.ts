import sharp from 'sharp';
import { InvalidInputError } from '../common/errors/domain-error';
import type { ImagePreprocessing } from '../model-registry/manifest';
import { crop, fittedSize, type GrayImage, hasLightBackground, inkBox, inverted, isolateInk, placeInFrame } from './ink-fitting';

/**
 * Longest side accepted, in pixels. A 1 x 25,000,000 strip has no more pixels than a 5000 x 5000
 * photo but took seconds of CPU to decode; no camera or scanner makes a side this long.
 */
export const MAX_IMAGE_SIDE = 16_384;

/** Formats a client may upload; anything else (SVG, TIFF, PDF, HEIF...) is refused before decoding. */
const ACCEPTED_FORMATS = new Set(['png', 'jpeg', 'webp', 'gif']);

export interface UploadedImage {
  /** How the client named the file, for error messages. */
  filename: string;
  data: Buffer;
}

/** Raw pixels in height x width x channels order (HWC), values 0-255. */
export interface Pixels {
  data: Uint8Array | readonly number[];
  channels: number;
  /** Whether they are inverted on their way into the tensor; undefined: as the manifest says (`invert`, `polarity`). */
  invert?: boolean;
}

/**
 * Images are brought to a side of at most this before the ink is looked for: a digit keeps its shape, and
 * a 25-megapixel photo costs a few milliseconds instead of a second of JavaScript loops.
 */
const INK_WORKING_SIDE = 512;
/** Polarity is read from the border of a thumbnail this size. */
const POLARITY_THUMBNAIL_SIDE = 64;

export function channelsOf(pre: ImagePreprocessing): number {
  return pre.color === 'grayscale' ? 1 : 3;
}

/**
 * Decodes an uploaded image with sharp and brings it to the model's input
 * size and colour mode: EXIF orientation applied, first frame of animations,
 * transparency flattened on black. The pixel count is checked from the header
 * before any pixel is decoded, so a small file declaring a huge image costs nothing.
 */
export async function decodeImage(
  image: UploadedImage,
  pre: ImagePreprocessing,
  maxPixels: number,
  at: string,
): Promise<Pixels> {
  const name = `${at} (${image.filename})`;
  if (image.data.length === 0) throw new InvalidInputError([`${name} is empty`]);
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(image.data, { limitInputPixels: false }).metadata();
  } catch {
    throw new InvalidInputError([`${name} is not an image sharp can read (PNG, JPEG, WebP or GIF expected)`]);
  }
  if (!metadata.format || !ACCEPTED_FORMATS.has(metadata.format)) {
    throw new InvalidInputError([`${name} is ${metadata.format ?? 'an unknown format'}; send PNG, JPEG, WebP or GIF`]);
  }
  const pixels = (metadata.width ?? 0) * (metadata.height ?? 0);
  if (pixels > maxPixels) {
    throw new InvalidInputError([
      `${name} declares ${metadata.width}x${metadata.height} pixels, more than the limit of ${maxPixels} (MAX_IMAGE_PIXELS)`,
    ]);
  }
  if ((metadata.width ?? 0) > MAX_IMAGE_SIDE || (metadata.height ?? 0) > MAX_IMAGE_SIDE) {
    throw new InvalidInputError([
      `${name} declares ${metadata.width}x${metadata.height} pixels; neither side may exceed ${MAX_IMAGE_SIDE} pixels`,
    ]);
  }
  try {
    const source = sharp(image.data, { limitInputPixels: maxPixels, failOn: 'truncated', pages: 1, autoOrient: true });
    if (pre.fit === 'ink') return { data: await fitInk(source, pre), channels: 1, invert: pre.ink === 'dark' };
    // With automatic polarity, transparency is paper (white) and letterboxing takes the image's own background.
    const lightBackground = pre.polarity === 'auto' ? await borderIsLight(source.clone()) : false;
    const background = lightBackground ? '#ffffff' : '#000000';
    const pipeline = source
      .flatten({ background: pre.polarity === 'auto' ? '#ffffff' : '#000000' })
      .resize(pre.width, pre.height, { fit: pre.fit, background, kernel: pre.kernel })
      .toColourspace(pre.color === 'grayscale' ? 'b-w' : 'srgb');
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    const channels = channelsOf(pre);
    if (info.channels !== channels) {
      throw new Error(`decoded ${info.channels} channels where ${channels} were expected`);
    }
    return { data, channels, invert: pre.polarity === 'auto' ? lightBackground === (pre.ink === 'light') : pre.invert };
  } catch (error) {
    throw new InvalidInputError([`${name} could not be decoded: ${firstLine(error)}`]);
  }
}

/** Whether an image is dark ink on a light background, read from the border of a grayscale thumbnail. */
async function borderIsLight(source: sharp.Sharp): Promise<boolean> {
  const side = POLARITY_THUMBNAIL_SIDE;
  const { data, info } = await source
    .flatten({ background: '#ffffff' })
    .resize(side, side, { fit: 'fill' })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return hasLightBackground({ data, width: info.width, height: info.height });
}

/**
 * fit "ink": light ink on black (inverted first when the image is dark on
 * light, or as `invert` says), background removed, cropped to the ink, scaled
 * into the content box keeping its aspect ratio and placed in the frame
 * (see ink-fitting.ts). A blank image stays a black frame.
 */
async function fitInk(source: sharp.Sharp, pre: ImagePreprocessing): Promise<Uint8Array> {
  const auto = pre.polarity === 'auto';
  const { data, info } = await source
    .flatten({ background: auto ? '#ffffff' : '#000000' })
    .resize(INK_WORKING_SIDE, INK_WORKING_SIDE, { fit: 'inside', withoutEnlargement: true, kernel: pre.kernel })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return inkFrame({ data, width: info.width, height: info.height }, pre);
}

async function inkFrame(gray: GrayImage, pre: ImagePreprocessing): Promise<Uint8Array> {
  const lightInk = (pre.polarity === 'auto' ? hasLightBackground(gray) : pre.invert) ? inverted(gray) : gray;
  const ink = isolateInk(lightInk);
  const box = inkBox(ink);
  if (!box) return new Uint8Array(pre.width * pre.height);
  const size = fittedSize(box, pre.content ?? defaultContentBox(pre));
  const resized = await sharp(crop(ink, box).data, { raw: { width: box.width, height: box.height, channels: 1 } })
    .resize(size.width, size.height, { fit: 'fill', kernel: pre.kernel })
    // One channel in, one out: sharp writes raw output as sRGB unless told otherwise.
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  return placeInFrame({ data: resized, ...size }, pre.width, pre.height, pre.centre).data;
}

/**
 * Pixel arrays sent as JSON (already the model's width x height) get the
 * same ink fitting as uploads when the manifest asks for it, so a drawing
 * sent either way gets the same answer; other fits take them as they are.
 */
export async function prepareJsonPixels(images: readonly Pixels[], pre: ImagePreprocessing): Promise<Pixels[]> {
  if (pre.fit !== 'ink') return [...images];
  const prepared: Pixels[] = [];
  for (const pixels of images) {
    const gray = { data: Uint8Array.from(pixels.data, (value) => Math.round(Number(value))), width: pre.width, height: pre.height };
    prepared.push({ data: await inkFrame(gray, pre), channels: 1, invert: pre.ink === 'dark' });
  }
  return prepared;
}

/** MNIST's proportions: a 20 x 20 box in a 28 x 28 frame. */
function defaultContentBox(pre: ImagePreprocessing): { width: number; height: number } {
  return { width: Math.max(1, Math.round((pre.width * 5) / 7)), height: Math.max(1, Math.round((pre.height * 5) / 7)) };
}

/**
 * Writes one image's pixels into a batch tensor at `row`, applying the
 * manifest's arithmetic: inversion when due, channel order, division by
 * `scale`, then (value - mean[c]) / std[c], in NCHW or NHWC order.
 */
export function writePixels(target: Float32Array, row: number, pixels: Pixels, pre: ImagePreprocessing): void {
  const { width, height } = pre;
  const channels = pixels.channels;
  const plane = width * height;
  const base = row * plane * channels;
  const invert = pixels.invert ?? invertsArray(pixels, pre);
  const bgr = pre.channel_order === 'BGR' && channels === 3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const raw = Number(pixels.data[(y * width + x) * channels + (bgr ? 2 - c : c)]);
        const value = invert ? 255 - raw : raw;
        const mean = pre.mean[c] ?? pre.mean[0];
        const std = pre.std[c] ?? pre.std[0];
        const normalised = (value / pre.scale - mean) / std;
        const index = pre.layout === 'NCHW' ? c * plane + y * width + x : (y * width + x) * channels + c;
        target[base + index] = normalised;
      }
    }
  }
}

/**
 * Pixel arrays sent as JSON are already at the model's size; with automatic polarity their
 * border (first channel, or gray for one channel) still says which way round they are.
 */
function invertsArray(pixels: Pixels, pre: ImagePreprocessing): boolean {
  if (pre.polarity !== 'auto') return pre.invert;
  const gray = new Uint8Array(pre.width * pre.height);
  for (let i = 0; i < gray.length; i++) gray[i] = Number(pixels.data[i * pixels.channels]);
  return hasLightBackground({ data: gray, width: pre.width, height: pre.height }) === (pre.ink === 'light');
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
