import sharp from 'sharp';
import { InvalidInputError } from '../common/domain-error';
import type { ImagePreprocessing } from '../model-registry/manifest';

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
}

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
    const pipeline = sharp(image.data, { limitInputPixels: maxPixels, failOn: 'truncated', pages: 1, autoOrient: true })
      .flatten({ background: '#000000' })
      .resize(pre.width, pre.height, { fit: pre.fit, background: '#000000' })
      .toColourspace(pre.color === 'grayscale' ? 'b-w' : 'srgb');
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    const channels = channelsOf(pre);
    if (info.channels !== channels) {
      throw new Error(`decoded ${info.channels} channels where ${channels} were expected`);
    }
    return { data, channels };
  } catch (error) {
    throw new InvalidInputError([`${name} could not be decoded: ${firstLine(error)}`]);
  }
}

/**
 * Writes one image's pixels into a batch tensor at `row`, applying the
 * manifest's arithmetic: optional inversion, division by `scale`, then
 * (value - mean[c]) / std[c], in NCHW or NHWC order.
 */
export function writePixels(target: Float32Array, row: number, pixels: Pixels, pre: ImagePreprocessing): void {
  const { width, height } = pre;
  const channels = pixels.channels;
  const plane = width * height;
  const base = row * plane * channels;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const raw = Number(pixels.data[(y * width + x) * channels + c]);
        const value = pre.invert ? 255 - raw : raw;
        const mean = pre.mean[c] ?? pre.mean[0];
        const std = pre.std[c] ?? pre.std[0];
        const normalised = (value / pre.scale - mean) / std;
        const index = pre.layout === 'NCHW' ? c * plane + y * width + x : (y * width + x) * channels + c;
        target[base + index] = normalised;
      }
    }
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
