import { describe, expect, it } from 'vitest';
import { ValidatedHeaders } from './validated-headers';

const LIMITS = { maxDepth: 64, maxContainers: 100_000 };

const binaryHeader = JSON.stringify({
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: 16 } }],
});

function bodyOf(header: string, binaryBytes = 16): Buffer {
  return Buffer.concat([Buffer.from(header), Buffer.alloc(binaryBytes)]);
}

function read(headers: ValidatedHeaders, header: string, binaryBytes = 16) {
  return headers.read(bodyOf(header, binaryBytes), String(Buffer.byteLength(header)), LIMITS);
}

describe('ValidatedHeaders', () => {
  it('reads a repeated binary header once: the same validated request, frozen, for every request that sends it', () => {
    const headers = new ValidatedHeaders();
    const first = read(headers, binaryHeader);
    const second = read(headers, binaryHeader);
    expect(second.request).toBe(first.request);
    expect(Object.isFrozen(first.request.inputs[0].parameters)).toBe(true);
    expect(first.request.inputs[0]).toMatchObject({ name: 'input', datatype: 'FP32', shape: [1, 4] });
  });

  it('does not remember headers that carry JSON tensor data', () => {
    const headers = new ValidatedHeaders();
    const withData = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });
    expect(read(headers, withData, 0).request).not.toBe(read(headers, withData, 0).request);
  });

  it('refuses an invalid header every time, naming what is wrong', () => {
    const headers = new ValidatedHeaders();
    const invalid = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP99', shape: [1, 4], parameters: { binary_data_size: 16 } }] });
    for (let i = 0; i < 2; i++) expect(() => read(headers, invalid)).toThrow(/datatype/);
  });
});
