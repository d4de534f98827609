import { crc32 } from 'node:zlib';
import sharp from 'sharp';

/** A PNG of a digit from 784 grayscale pixels (0-255, row-major 28x28). */
export function digitPng(pixels: ArrayLike<number>, size = 28): Promise<Buffer> {
  return sharp(Buffer.from(Array.from(pixels)), { raw: { width: 28, height: 28, channels: 1 } })
    .resize(size, size)
    .png()
    .toBuffer();
}

/**
 * A tiny PNG whose header declares width x height pixels: the classic
 * decompression bomb shape, refused before any pixel is decoded.
 */
export function pngDeclaring(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(0, 9); // grayscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
