import { describe, expect, it } from 'vitest';
import { parseManifest } from './manifest';
import { ManifestError } from './repository-json';

const IMAGE = { color: 'grayscale', width: 28, height: 28, layout: 'NCHW' };
const manifest = (image: Record<string, unknown>) => ({ task: 'generic', image: { ...IMAGE, ...image } });

describe('parseManifest: image preprocessing', () => {
  it('fills the defaults: images as they come, stretched to the frame, Lanczos, RGB order', () => {
    expect(parseManifest(manifest({}), 'm.json').image).toMatchObject({
      polarity: 'as_is',
      ink: 'light',
      fit: 'fill',
      centre: 'box',
      kernel: 'lanczos3',
      channel_order: 'RGB',
      invert: false,
    });
  });

  it('takes the ink fitting of an MNIST-style model', () => {
    const image = parseManifest(manifest({ polarity: 'auto', fit: 'ink', content: { width: 20, height: 20 }, centre: 'mass' }), 'm.json').image;
    expect(image).toMatchObject({ polarity: 'auto', fit: 'ink', content: { width: 20, height: 20 }, centre: 'mass' });
  });

  it.each([
    [{ fit: 'ink', color: 'rgb' }, 'image.fit "ink" needs image.color "grayscale"'],
    [{ fit: 'ink', content: { width: 30, height: 20 } }, 'image.content (30x20) must fit in the frame (28x28)'],
    [{ polarity: 'sometimes' }, 'polarity'],
    [{ ink: 'blue' }, 'ink'],
    [{ kernel: 'bicubic' }, 'kernel'],
    [{ channel_order: 'GRB' }, 'channel_order'],
    [{ content: { width: 0, height: 20 } }, 'width'],
  ])('refuses %j, naming the field', (image, message) => {
    expect(() => parseManifest(manifest(image), 'm.json')).toThrow(ManifestError);
    expect(() => parseManifest(manifest(image), 'm.json')).toThrow(message);
  });
});
