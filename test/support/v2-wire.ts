import { expect } from 'vitest';
import { INFERENCE_HEADER_LENGTH } from '../../src/common/http/http-headers';

/**
 * The Open Inference Protocol's binary tensor data extension (Triton's), built and read by hand as
 * a client does, so tests check the service's bytes against the protocol and not against its own codec.
 * Raw tensor bytes are little-endian: these tests run on little-endian hosts, as x86 and ARM are.
 */

/** A typed array (numbers) or an array of strings (BYTES). */
export type TensorValues = ArrayLike<unknown> & { buffer?: ArrayBufferLike };

/** Raw tensor bytes as the extension defines them: the elements' bytes, or for BYTES each string's UTF-8 after a 4-byte length. */
export function rawBytes(data: TensorValues): Buffer {
  if (Array.isArray(data)) {
    return Buffer.concat(
      data.map((element: string) => {
        const bytes = Buffer.from(element, 'utf8');
        const length = Buffer.alloc(4);
        length.writeUInt32LE(bytes.length);
        return Buffer.concat([length, bytes]);
      }),
    );
  }
  const view = data as unknown as ArrayBufferView;
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * A request body of the extension: the JSON header, then the tensors' bytes, and the header's
 * length for Inference-Header-Content-Length. A Buffer header is sent as it is (any bytes, as a fuzzer sends).
 */
export function frameInferRequest(header: object | Buffer, tensors: Buffer[]): { body: Buffer; headerLength: number } {
  const json = Buffer.isBuffer(header) ? header : Buffer.from(JSON.stringify(header));
  return { body: Buffer.concat([json, ...tensors]), headerLength: json.length };
}

/** The same body with the headers curl or a browser would send with it, for `inject`. */
export function binaryBody(header: object | Buffer, tensors: Buffer[]): { payload: Buffer; headers: Record<string, string> } {
  const { body, headerLength } = frameInferRequest(header, tensors);
  return {
    payload: body,
    headers: { 'content-type': 'application/octet-stream', [INFERENCE_HEADER_LENGTH]: String(headerLength) },
  };
}

export interface InferResponseHeader {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: { name: string; datatype: string; shape: number[]; data?: unknown[]; parameters?: { binary_data_size: number } }[];
}

export interface ParsedInferResponse {
  header: InferResponseHeader;
  /** Raw bytes of every binary output, by name. */
  binary: Map<string, Buffer>;
  headerText: string;
}

/**
 * Reads a response the way tritonclient's InferResult does: the JSON header (the first
 * Inference-Header-Content-Length bytes, or all of a JSON answer), then each binary output's
 * binary_data_size bytes in the order the header lists them. The sizes must add up to the body exactly.
 */
export function parseInferResponse(body: Buffer, headers: Record<string, unknown>): ParsedInferResponse {
  const headerLength = headers[INFERENCE_HEADER_LENGTH];
  const length = headerLength === undefined ? undefined : Number(headerLength);
  const headerText = (length === undefined ? body : body.subarray(0, length)).toString('utf8');
  const header = JSON.parse(headerText) as InferResponseHeader;
  const binary = new Map<string, Buffer>();
  let offset = length ?? body.length;
  for (const output of header.outputs) {
    const size = output.parameters?.binary_data_size;
    if (size === undefined) continue;
    binary.set(output.name, body.subarray(offset, offset + size));
    offset += size;
  }
  expect(offset).toBe(body.length);
  return { header, binary, headerText };
}

/** A binary FP32 output's values. The copy matters: the bytes sit at any offset of the body, a Float32Array needs an aligned start. */
export function float32s(bytes: Buffer): number[] {
  return Array.from(new Float32Array(new Uint8Array(bytes).buffer));
}

/** A binary INT64 output's values (copied to an aligned buffer, as for float32s). */
export function bigInt64s(bytes: Buffer): bigint[] {
  return Array.from(new BigInt64Array(new Uint8Array(bytes).buffer));
}
