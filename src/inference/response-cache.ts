import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Tensor, TensorMap } from './tensors';

/** Bytes counted for one entry beyond its tensors' data: the key, the map and the objects around them. */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * Answers of one loaded model version to inputs it has seen, the tutorials'
 * `lru_cache` and Triton's response cache: the key is every input tensor
 * (name, datatype, shape and bytes) and the outputs asked for, so only an
 * identical request is answered from it; entries are bounded in bytes and the
 * least recently used go first. It belongs to the loaded version: a reload or
 * a new version starts with an empty one, so no answer outlives its model.
 * Per HTTP process (not shared between the processes of a pod).
 */
export class ResponseCache {
  private readonly entries: LRUCache<string, TensorMap>;
  evictions = 0;

  constructor(readonly maxBytes: number) {
    this.entries = new LRUCache<string, TensorMap>({
      maxSize: maxBytes,
      sizeCalculation: (outputs, key) => Math.max(1, outputBytes(outputs) + key.length + ENTRY_OVERHEAD_BYTES),
      // An answer larger than the whole cache is not kept (lru-cache would refuse it anyway).
      maxEntrySize: maxBytes,
      dispose: (_value, _key, reason) => {
        if (reason === 'evict') this.evictions++;
      },
    });
  }

  get bytes(): number {
    return this.entries.calculatedSize;
  }

  /** The key of a request: a digest of everything that decides the answer. */
  keyOf(feeds: TensorMap, outputNames: readonly string[] | undefined): string {
    const hash = createHash('sha256');
    for (const name of Object.keys(feeds).sort()) {
      const tensor = feeds[name];
      hash.update(`${name}\0${tensor.type}\0${tensor.dims.join(',')}\0`);
      hash.update(tensorBytes(tensor));
    }
    hash.update(`\0outputs:${outputNames?.join('\0') ?? '*'}`);
    return hash.digest('base64');
  }

  get(key: string): TensorMap | undefined {
    return this.entries.get(key);
  }

  set(key: string, outputs: TensorMap): void {
    this.entries.set(key, outputs);
  }
}

function tensorBytes(tensor: Tensor): Uint8Array | string {
  const data = tensor.data;
  if (Array.isArray(data)) return JSON.stringify(data);
  const typed = data as Exclude<Tensor['data'], string[]>;
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

function outputBytes(outputs: TensorMap): number {
  let total = 0;
  for (const tensor of Object.values(outputs)) {
    const data = tensor.data;
    total += Array.isArray(data) ? data.reduce((sum: number, value: string) => sum + value.length * 2, 0) : (data as ArrayBufferView).byteLength;
  }
  return total;
}
