import { LRUCache } from 'lru-cache';
import type { JsonLimits } from '../common/validation/json-limits';
import { readInferenceBody } from './binary-codec';
import type { V2InferenceRequestDto } from './dto/inference.dto';
import { validateInferenceRequest } from './request-validation';

/** Distinct headers remembered: a client sends one per request shape, and few shapes are in use at once. */
const MAX_HEADERS = 256;
/** Longer headers are not remembered: they carry JSON tensor data or many inputs, and would not repeat. */
const MAX_HEADER_CHARS = 2048;

/**
 * The validated JSON headers of binary-extension requests, by their text. A
 * client of the binary extension (tritonclient, a service in a loop) sends the
 * same header with every request of a shape, and only the bytes after it
 * change; parsing, bounding and validating that header again showed as the
 * largest share of a /v2 binary request's own work in profiles under load. A
 * header is remembered only when all its inputs are binary (no JSON data, so
 * the text fixes the whole request structure), and frozen, so the requests
 * sharing it cannot change it.
 */
export class ValidatedHeaders {
  private readonly known = new LRUCache<string, V2InferenceRequestDto>({ max: MAX_HEADERS });

  /** A request body's validated header (remembered, or read and validated now) and the binary data after it. */
  read(body: unknown, headerLength: string | string[] | undefined, limits: JsonLimits): { request: V2InferenceRequestDto; binary: Buffer } {
    let known: V2InferenceRequestDto | undefined;
    const { header, binary, headerText } = readInferenceBody(body, headerLength, limits, (text) => (known = this.known.get(text)));
    if (known) return { request: known, binary };
    const request = validateInferenceRequest(header);
    if (headerText !== undefined && headerText.length <= MAX_HEADER_CHARS && request.inputs.every((input) => input.data === undefined)) {
      this.known.set(headerText, deepFreeze(request));
    }
    return { request, binary };
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
