/**
 * Protocol Buffers messages written byte by byte, as a broken or hostile
 * client would, so tests can send what no serializer produces (truncations
 * inside nested messages, wrong wire types, group tags) and know where each
 * tag sits. Independent of the service's own wire-format check.
 */

export const WIRE = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

/** One field: its tag, then a varint, fixed bytes, opaque length-delimited bytes, or a nested message. */
export interface Field {
  readonly number: number;
  readonly wireType: number;
  /** Varint and fixed values: their encoded bytes; LEN: the payload, or the fields of a nested message. */
  readonly value: Buffer | readonly Field[];
  /** Another wire type the receiver accepts for this field (a repeated number: packed LEN or its own type). */
  readonly alsoAccepts?: number;
}

/** Where a tag was written, and which wire types its field may have. */
export interface TagSite {
  readonly offset: number;
  readonly wireType: number;
  readonly accepts: readonly number[];
}

export function varint(value: number | bigint): Buffer {
  let rest = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    bytes.push(rest > 0n ? low | 0x80 : low);
  } while (rest > 0n);
  return Buffer.from(bytes);
}

export const tag = (number: number, wireType: number): Buffer => varint(number * 8 + wireType);

export const stringField = (number: number, text: string | Buffer): Field => ({ number, wireType: WIRE.LEN, value: Buffer.from(text) });
export const varintField = (number: number, value: number | bigint): Field => ({ number, wireType: WIRE.VARINT, value: varint(value) });
export const messageField = (number: number, fields: readonly Field[]): Field => ({ number, wireType: WIRE.LEN, value: fields });

/** A packed repeated number field: LEN on the wire, its elements' own wire type also accepted. */
export function packedField(number: number, elements: Buffer[], elementWireType: number): Field {
  return { number, wireType: WIRE.LEN, value: Buffer.concat(elements), alsoAccepts: elementWireType };
}

/** The message's bytes, and every tag written (nested ones included) with its offset. */
export function encodeMessage(fields: readonly Field[], base = 0): { bytes: Buffer; tags: TagSite[] } {
  const parts: Buffer[] = [];
  const tags: TagSite[] = [];
  let offset = base;
  for (const field of fields) {
    const head = tag(field.number, field.wireType);
    tags.push({ offset, wireType: field.wireType, accepts: [field.wireType, ...(field.alsoAccepts === undefined ? [] : [field.alsoAccepts])] });
    let body: Buffer;
    if (Buffer.isBuffer(field.value)) {
      body = field.wireType === WIRE.LEN ? Buffer.concat([varint(field.value.length), field.value]) : field.value;
    } else {
      const nestedLength = encodeMessage(field.value).bytes.length;
      const nested = encodeMessage(field.value, offset + head.length + varint(nestedLength).length);
      tags.push(...nested.tags);
      body = Buffer.concat([varint(nested.bytes.length), nested.bytes]);
    }
    parts.push(head, body);
    offset += head.length + body.length;
  }
  return { bytes: Buffer.concat(parts), tags };
}

/** The bytes with the tag at `site` given another wire type (tags of fields 1-15 are one byte). */
export function withWireType(bytes: Buffer, site: TagSite, wireType: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[site.offset] = (copy[site.offset] & ~7) | wireType;
  return copy;
}

/** The path (field indices, outermost first) of every nested message, at any depth. */
export function nestedMessagePaths(fields: readonly Field[], prefix: readonly number[] = []): number[][] {
  return fields.flatMap((field, i) => (Buffer.isBuffer(field.value) ? [] : [[...prefix, i], ...nestedMessagePaths(field.value, [...prefix, i])]));
}

/** The nested message at `path` as its bytes, cut after `length` of them; every length around it stays consistent. */
export function withNestedMessageCut(fields: readonly Field[], path: readonly number[], length: number): Field[] {
  const [index, ...rest] = path;
  return fields.map((field, i) => {
    if (i !== index || Buffer.isBuffer(field.value)) return field;
    return { ...field, value: rest.length ? withNestedMessageCut(field.value, rest, length) : encodeMessage(field.value).bytes.subarray(0, length) };
  });
}

/** The encoded length of the nested message at `path`. */
export function nestedMessageLength(fields: readonly Field[], path: readonly number[]): number {
  const [index, ...rest] = path;
  const value = fields[index].value as readonly Field[];
  return rest.length ? nestedMessageLength(value, rest) : encodeMessage(value).bytes.length;
}
