import { isUtf8 } from 'node:buffer';
import type { WireField, WireKind, WireMessage } from './wire-schema';

/**
 * A strict walk of Protocol Buffers wire format, run over a request's bytes
 * before protobufjs decodes them. protobufjs is lenient where a truncated or
 * corrupted message should fail: it clamps a string's length to the bytes
 * left, reads a 64-bit varint cut at the end of the buffer as complete,
 * skips bytes 6-10 of a long 32-bit varint without looking at them, decodes
 * a known field whatever wire type its tag says (a start-group tag becomes
 * an empty message), and skips field number 0. Each of these answered OK and
 * ran a model for bytes that were not the message the client meant.
 *
 * The walk follows every tag and length, recursing into the fields the
 * schema knows as messages, and refuses: a tag, length or value cut short;
 * a length past the end of its enclosing message; field number 0; group tags
 * (wire types 3 and 4, which proto3 has no use for) and wire types 6 and 7;
 * a known field with a wire type its type is never sent with; packed values
 * that do not fill their length exactly; strings that are not UTF-8 (proto3
 * requires it). Unknown fields with a valid wire type are allowed, as proto3
 * requires for compatibility, and left opaque.
 *
 * Returns what is wrong and where, or undefined for a well-formed message.
 */
export function wireFormatProblem(bytes: Uint8Array, message: WireMessage): string | undefined {
  try {
    checkMessage(bytes, 0, bytes.length, message, '', 0);
    return undefined;
  } catch (error) {
    if (error instanceof Malformed) return error.message;
    throw error;
  }
}

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

const WIRE_TYPE_NAMES = ['varint', '64-bit', 'length-delimited', 'start group', 'end group', '32-bit', 'invalid', 'invalid'];

const WIRE_TYPE_OF_KIND: Readonly<Record<WireKind, number>> = {
  varint32: VARINT,
  varint64: VARINT,
  fixed32: I32,
  fixed64: I64,
  string: LEN,
  bytes: LEN,
  message: LEN,
};

/** Far deeper than the service's messages nest; bounds the recursion for any schema, even a recursive one. */
const MAX_DEPTH = 64;
/** A varint holds at most 64 bits: 10 bytes of 7. */
const MAX_VARINT_BYTES = 10;
/** Tags and lengths are 32-bit: at most 5 bytes. */
const MAX_VARINT32_BYTES = 5;

class Malformed extends Error {
  constructor(offset: number, path: string, what: string) {
    super(`${path ? `${path}, ` : ''}byte ${offset}: ${what}`);
  }
}

function checkMessage(bytes: Uint8Array, start: number, end: number, message: WireMessage, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw new Malformed(start, path, `messages nested more than ${MAX_DEPTH} deep`);
  const seen = new Map<number, number>();
  let pos = start;
  while (pos < end) {
    const tagAt = pos;
    const tag = readVarint32(bytes, pos, end, path, 'the field tag');
    pos = tag.next;
    const number = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    if (number === 0) throw new Malformed(tagAt, path, 'a field tag with field number 0, which no field can have');
    if (wireType === 3 || wireType === 4) {
      throw new Malformed(tagAt, path, `field ${number} has a ${WIRE_TYPE_NAMES[wireType]} tag (wire type ${wireType}); groups are not part of proto3`);
    }
    if (wireType > 5) throw new Malformed(tagAt, path, `field ${number} has wire type ${wireType}, which does not exist`);

    const field = message.fields.get(number);
    const fieldPath = joinPath(path, field ? nameInPath(field, seen, number) : `field ${number}`);
    if (field) checkWireType(field, number, wireType, tagAt, path);
    switch (wireType) {
      case VARINT: {
        const next = varintEnd(bytes, pos, end, fieldPath, 'the value');
        if (field?.kind === 'varint32') checkVarint32Length(pos, next, fieldPath);
        pos = next;
        break;
      }
      case I64:
      case I32: {
        const size = wireType === I64 ? 8 : 4;
        if (end - pos < size) throw new Malformed(pos, fieldPath, `the ${size}-byte value is cut short: ${end - pos} ${plural(end - pos, 'byte')} left`);
        pos += size;
        break;
      }
      case LEN: {
        const length = readVarint32(bytes, pos, end, fieldPath, 'the length');
        const left = end - length.next;
        if (length.value > left) {
          throw new Malformed(pos, fieldPath, `the length says ${length.value} ${plural(length.value, 'byte')}, but only ${left} ${plural(left, 'is', 'are')} left`);
        }
        const contentEnd = length.next + length.value;
        if (field) checkContent(bytes, length.next, contentEnd, field, fieldPath, depth);
        pos = contentEnd;
        break;
      }
    }
  }
}

/** A known field's tag must say the wire type its type is sent with (or length-delimited, for packed repeated numbers). */
function checkWireType(field: WireField, number: number, wireType: number, offset: number, path: string): void {
  const expected = WIRE_TYPE_OF_KIND[field.kind];
  const packed = wireType === LEN && field.repeated && expected !== LEN;
  if (wireType === expected || packed) return;
  throw new Malformed(
    offset,
    path,
    `field ${number} (${field.name}) has wire type ${wireType} (${WIRE_TYPE_NAMES[wireType]}), but its values are sent with wire type ${expected} (${WIRE_TYPE_NAMES[expected]})`,
  );
}

function checkContent(bytes: Uint8Array, start: number, end: number, field: WireField, path: string, depth: number): void {
  switch (field.kind) {
    case 'message':
      checkMessage(bytes, start, end, field.message!, path, depth + 1);
      return;
    case 'string':
      if (!isUtf8(bytes.subarray(start, end))) throw new Malformed(start, path, 'the string is not valid UTF-8');
      return;
    case 'bytes':
      return;
    case 'fixed32':
    case 'fixed64': {
      const size = field.kind === 'fixed32' ? 4 : 8;
      if ((end - start) % size !== 0) {
        throw new Malformed(start, path, `packed ${size}-byte values take ${end - start} bytes, which is not a multiple of ${size}`);
      }
      return;
    }
    case 'varint32':
    case 'varint64':
      for (let pos = start; pos < end; ) {
        const next = varintEnd(bytes, pos, end, path, 'a packed value');
        if (field.kind === 'varint32') checkVarint32Length(pos, next, path);
        pos = next;
      }
  }
}

/** Where the varint starting at `pos` ends, within `end`; refuses one cut short or longer than 64 bits. */
function varintEnd(bytes: Uint8Array, pos: number, end: number, path: string, what: string): number {
  const last = Math.min(end, pos + MAX_VARINT_BYTES);
  for (let i = pos; i < last; i++) {
    if (bytes[i] < 0x80) return i + 1;
  }
  if (last === pos + MAX_VARINT_BYTES) throw new Malformed(pos, path, `${what} is a varint longer than ${MAX_VARINT_BYTES} bytes`);
  throw new Malformed(pos, path, `${what} is cut short in the middle of its varint`);
}

/** A tag or a length: a varint of at most 32 bits, as protobufjs reads them. */
function readVarint32(bytes: Uint8Array, pos: number, end: number, path: string, what: string): { value: number; next: number } {
  const next = varintEnd(bytes, pos, end, path, what);
  let value = 0;
  for (let i = next - 1; i >= pos; i--) value = value * 128 + (bytes[i] & 0x7f);
  if (next - pos > MAX_VARINT32_BYTES || value > 0xffff_ffff) throw new Malformed(pos, path, `${what} is larger than 32 bits`);
  return { value, next };
}

/**
 * protobufjs reads a 32-bit varint of more than 5 bytes as if it had 10 (a
 * negative int32 is sent sign-extended to 10), skipping the rest unread: one
 * of 6 to 9 bytes would shift every field after it.
 */
function checkVarint32Length(pos: number, next: number, path: string): void {
  const length = next - pos;
  if (length > MAX_VARINT32_BYTES && length < MAX_VARINT_BYTES) {
    throw new Malformed(pos, path, `a 32-bit value takes ${length} bytes (1 to 5, or 10 for a negative number)`);
  }
}

/** A field's name in a problem's path: repeated ones that are not packed numbers with their index among their kind. */
function nameInPath(field: WireField, seen: Map<number, number>, number: number): string {
  if (!field.repeated || !['message', 'string', 'bytes'].includes(field.kind)) return field.name;
  const index = seen.get(number) ?? 0;
  seen.set(number, index + 1);
  return `${field.name}[${index}]`;
}

function joinPath(parent: string, name: string): string {
  return parent ? `${parent}.${name}` : name;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return count === 1 ? one : many;
}
