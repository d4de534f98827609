import { endianness } from 'node:os';
import { jsonLimitExceeded, type JsonLimits } from '../common/validation/json-limits';
import { DomainError } from '../common/errors/domain-error';
import { describePoisoningKey, poisoningKeyPath } from '../common/validation/json-poisoning';
import { allocateUninitialized, elementCount, type DataType, type Tensor, type TensorData } from '../inference/tensors';
import { quoted, shortened } from '../common/errors/quoted';
import { elementByteSize, toV2DataType } from './datatypes';

/**
 * Triton's binary tensor data extension: a request or response body is a JSON
 * object of `Inference-Header-Content-Length` bytes followed by the raw bytes
 * of the tensors that carry `parameters.binary_data_size`, in the order the
 * JSON lists them. Raw bytes are little-endian, row-major, unpadded; BOOL is
 * one byte (0 or 1); a BYTES element is a 4-byte little-endian length then
 * that many bytes.
 */

const EMPTY = Buffer.alloc(0);
/** Typed arrays use the host's byte order; the wire is little-endian. */
const HOST_IS_LITTLE_ENDIAN = endianness() === 'LE';
const BYTES_LENGTH_PREFIX = 4;

export interface InferenceBody {
  /** The JSON inference request (not yet validated, unless `known` gave it). */
  readonly header: unknown;
  /** Everything after the JSON header: the binary tensors' bytes, back to back. */
  readonly binary: Buffer;
  /** The JSON header's text, when the body came as bytes (no Content-Type, or the binary extension). */
  readonly headerText?: string;
}

/** A header already read from this very text (validated-headers.ts), or undefined: then it is parsed. */
export type KnownHeader = (text: string) => unknown;

/**
 * Splits a request body into its JSON header and the binary data after it.
 * `body` is what the body parsers made of it: an object when it was plain
 * `application/json`, else the raw bytes (no Content-Type, octet-stream, or
 * JSON with `Inference-Header-Content-Length`).
 */
export function readInferenceBody(
  body: unknown,
  headerLengthValue: string | string[] | undefined,
  jsonLimits: JsonLimits,
  known?: KnownHeader,
): InferenceBody {
  if (body === undefined || body === null || (Buffer.isBuffer(body) && body.length === 0)) {
    throw badRequest('request body is empty; send an inference request JSON object');
  }
  if (!Buffer.isBuffer(body)) return { header: body, binary: EMPTY };
  if (headerLengthValue === undefined) {
    const text = body.toString('utf8');
    return { header: known?.(text) ?? parseJson(text, 'request body', jsonLimits), binary: EMPTY, headerText: text };
  }
  const headerLength = parseHeaderLength(headerLengthValue, body.length);
  const text = body.toString('utf8', 0, headerLength);
  return {
    header: known?.(text) ?? parseJson(text, 'JSON header (the first Inference-Header-Content-Length bytes)', jsonLimits),
    binary: body.subarray(headerLength),
    headerText: text,
  };
}

function parseHeaderLength(value: string | string[], bodyLength: number): number {
  if (Array.isArray(value)) throw badRequest('Inference-Header-Content-Length must be given once');
  const text = value.trim();
  if (!/^\d{1,15}$/.test(text)) {
    throw badRequest(
      `Inference-Header-Content-Length must be the length in bytes of the JSON header, a non-negative integer; got "${shortened(text)}"`,
    );
  }
  const length = Number(text);
  if (length > bodyLength) {
    throw badRequest(`Inference-Header-Content-Length is ${length}, but the request body has only ${bodyLength} bytes`);
  }
  return length;
}

/** The same limits as the JSON body parser applies to application/json bodies. */
function parseJson(text: string, what: string, limits: JsonLimits): unknown {
  if (text.length === 0) throw badRequest(`${what} is empty; send an inference request JSON object`);
  const exceeded = jsonLimitExceeded(text, limits);
  if (exceeded) throw badRequest(`${what} ${exceeded}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRequest(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  // The walk runs only when a poisoning key could be there, spelled out or escaped ("\u005f_proto__").
  const poisoned = MAY_HOLD_POISONING_KEY.test(text) ? poisoningKeyPath(value) : undefined;
  if (poisoned !== undefined) throw badRequest(`${what}: ${describePoisoningKey(poisoned)}`);
  return value;
}

/** Fastify's JSON parser refuses prototype-poisoning keys ("error" for both); so does this one. */
const MAY_HOLD_POISONING_KEY = /__proto__|constructor|\\u/;

export interface BinaryInputRef {
  readonly name: string;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/**
 * Cuts the binary data into one slice per input that declares
 * `binary_data_size` (undefined for the others), checking that the sizes
 * account for every byte after the JSON header, no more and no less.
 */
export function sliceBinaryInputs(inputs: readonly BinaryInputRef[], binary: Buffer): (Buffer | undefined)[] {
  let offset = 0;
  const declared: string[] = [];
  const slices = inputs.map((input) => {
    const size = input.parameters?.binary_data_size;
    if (size === undefined) return undefined;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw badRequest(
        `input ${quoted(input.name)}: parameters.binary_data_size must be a non-negative integer, got ${shortened(JSON.stringify(size))}`,
      );
    }
    if (size > binary.length - offset) {
      throw badRequest(
        `input ${quoted(input.name)}: binary_data_size is ${size} bytes, but only ${binary.length - offset} bytes of binary data ` +
          `are left after the JSON header${offset ? ' and the inputs before it' : ''}`,
      );
    }
    declared.push(`${quoted(input.name)}: ${size}`);
    const slice = binary.subarray(offset, offset + size);
    offset += size;
    return slice;
  });
  if (offset !== binary.length) {
    throw badRequest(
      declared.length
        ? `${binary.length} bytes of binary data follow the JSON header, but the inputs' binary_data_size ` +
            `(${declared.join(', ')}) add up to ${offset}`
        : `${binary.length} bytes follow the JSON header, but no input declares parameters.binary_data_size ` +
            '(is Inference-Header-Content-Length right?)',
    );
  }
  return slices;
}

/** The tensor data of one input from its binary bytes, checked against its shape. */
export function decodeBinaryTensor(name: string, type: DataType, shape: readonly number[], bytes: Buffer): TensorData {
  const count = elementCount(shape);
  if (type === 'string') return deserializeBytesTensor(name, shape, bytes);
  const size = elementByteSize(type)!;
  if (bytes.length !== count * size) {
    throw badRequest(
      `input ${quoted(name)}: binary_data_size is ${bytes.length} bytes, but shape [${shape.join(', ')}] of ` +
        `${toV2DataType(type)} needs ${count * size} (${count} elements × ${size} bytes)`,
    );
  }
  const data = allocateUninitialized(type, count) as Exclude<TensorData, string[]>;
  const target = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // A copy, not a view of the body: typed arrays need aligned offsets, and the body is released after the request.
  target.set(bytes);
  if (!HOST_IS_LITTLE_ENDIAN) swapBytes(target, size);
  if (type === 'bool') {
    const bad = target.findIndex((byte) => byte > 1);
    if (bad >= 0) {
      throw badRequest(
        `input ${quoted(name)}: BOOL element ${bad} is the byte ${target[bad]}; a binary BOOL is 1 (true) or 0 (false)`,
      );
    }
  }
  return data;
}

/** The raw bytes of an output tensor, as the extension lays them out. */
export function encodeBinaryTensor(tensor: Tensor): Buffer {
  if (tensor.type === 'string') return serializeBytesTensor(tensor.data as readonly string[]);
  const data = tensor.data as Exclude<TensorData, string[]>;
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_IS_LITTLE_ENDIAN) return bytes;
  const copy = Buffer.from(bytes);
  swapBytes(copy, elementByteSize(tensor.type)!);
  return copy;
}

/** BYTES elements: each a 4-byte little-endian length, then its bytes (UTF-8 for text). */
export function serializeBytesTensor(elements: readonly (string | Buffer)[]): Buffer {
  const encoded = elements.map((element) => (typeof element === 'string' ? Buffer.from(element, 'utf8') : element));
  const out = Buffer.allocUnsafe(encoded.reduce((total, bytes) => total + BYTES_LENGTH_PREFIX + bytes.length, 0));
  let offset = 0;
  for (const bytes of encoded) {
    out.writeUInt32LE(bytes.length, offset);
    offset += BYTES_LENGTH_PREFIX;
    bytes.copy(out, offset);
    offset += bytes.length;
  }
  return out;
}

/**
 * Reads BYTES elements for an ONNX string tensor. onnxruntime-node takes
 * JavaScript strings, so each element must be valid UTF-8 text.
 */
export function deserializeBytesTensor(name: string, shape: readonly number[], bytes: Buffer): string[] {
  const expected = elementCount(shape);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const elements: string[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const index = elements.length;
    if (index >= expected) {
      throw badRequest(
        `input ${quoted(name)}: binary data holds more than the ${expected} BYTES elements of shape [${shape.join(', ')}] ` +
          `(${bytes.length - offset} bytes left over)`,
      );
    }
    if (bytes.length - offset < BYTES_LENGTH_PREFIX) {
      throw badRequest(
        `input ${quoted(name)}: BYTES element ${index} has a truncated length prefix (${bytes.length - offset} of 4 bytes)`,
      );
    }
    const length = bytes.readUInt32LE(offset);
    offset += BYTES_LENGTH_PREFIX;
    if (length > bytes.length - offset) {
      throw badRequest(
        `input ${quoted(name)}: BYTES element ${index} declares ${length} bytes, but only ${bytes.length - offset} remain in its binary data`,
      );
    }
    try {
      elements.push(decoder.decode(bytes.subarray(offset, offset + length)));
    } catch {
      throw badRequest(
        `input ${quoted(name)}: BYTES element ${index} is not valid UTF-8; this model's input is an ONNX string tensor, which holds text`,
      );
    }
    offset += length;
  }
  if (elements.length !== expected) {
    throw badRequest(
      `input ${quoted(name)}: binary data holds ${elements.length} BYTES elements, but shape [${shape.join(', ')}] needs ${expected}`,
    );
  }
  return elements;
}

/**
 * The JSON text alone (Node writes it with the response's head in one piece), or the JSON and the binary
 * outputs after it, with the value of the Inference-Header-Content-Length response header.
 */
export type EncodedBody = { readonly body: string; readonly headerLength?: undefined } | { readonly body: Buffer; readonly headerLength: number };

/** The response body: the JSON header alone, or followed by the binary outputs in output order. */
export function encodeInferenceBody(json: string, binaryOutputs: readonly Buffer[] | undefined): EncodedBody {
  if (!binaryOutputs) return { body: json };
  const header = Buffer.from(json, 'utf8');
  return { body: Buffer.concat([header, ...binaryOutputs]), headerLength: header.length };
}

function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let start = 0; start < bytes.length; start += size) bytes.subarray(start, start + size).reverse();
}

function badRequest(message: string): DomainError {
  return new DomainError('BAD_REQUEST', message);
}

/** A client-given name, quoted and cut short so messages stay readable. */
