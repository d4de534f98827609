import {
  allocate,
  elementCount,
  halfToFloat,
  writeElement,
  type DataType,
  type Tensor,
  type TensorData,
} from '../inference/tensors';
import { quoted } from '../common/errors/quoted';
import { toV2DataType } from './datatypes';

/** Element problems reported per input before giving up on the rest of its data. */
const MAX_PROBLEMS_PER_INPUT = 10;

const INT64_RANGE = { int64: [-(2n ** 63n), 2n ** 63n - 1n], uint64: [0n, 2n ** 64n - 1n] } as const;

/**
 * The tensor data of one input from its JSON `data`: flat in row-major order,
 * or nested exactly as the shape says (the protocol allows both). Returns the
 * problems instead of throwing, so that every input's problems are reported together.
 */
export function decodeJsonTensor(
  name: string,
  type: DataType,
  shape: readonly number[],
  data: unknown,
): { data: TensorData; problems: [] } | { data?: undefined; problems: string[] } {
  const flat = flatten(name, shape, data);
  if (typeof flat === 'string') return { problems: [flat] };
  const tensorData = allocate(type, flat.length);
  const problems: string[] = [];
  for (let i = 0; i < flat.length && problems.length < MAX_PROBLEMS_PER_INPUT; i++) {
    const rule = writeJsonElement(tensorData, i, type, flat[i]);
    if (rule) problems.push(`input ${quoted(name)}: element ${i} ${rule}`);
  }
  return problems.length ? { problems } : { data: tensorData, problems: [] };
}

function flatten(name: string, shape: readonly number[], data: unknown): unknown[] | string {
  const expected = elementCount(shape);
  if (!Array.isArray(data)) return `input ${quoted(name)}: data must be an array`;
  if (!Array.isArray(data[0]) || shape.length < 2) {
    if (data.length !== expected) {
      return `input ${quoted(name)}: data has ${data.length} elements, but shape [${shape.join(', ')}] needs ${expected}`;
    }
    return data;
  }
  const flat: unknown[] = [];
  const problem = collectNested(data, shape, 0, 'data', flat);
  return problem ? `input ${quoted(name)}: nested data does not follow shape [${shape.join(', ')}]: ${problem}` : flat;
}

function collectNested(value: unknown, shape: readonly number[], depth: number, path: string, out: unknown[]): string | undefined {
  if (depth === shape.length) {
    if (Array.isArray(value)) return `${path} is an array, but the shape has only ${shape.length} dimensions`;
    out.push(value);
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== shape[depth]) {
    return `${path} should be an array of ${shape[depth]} entries, got ${Array.isArray(value) ? `${value.length} entries` : 'a single value'}`;
  }
  for (let i = 0; i < value.length; i++) {
    const problem = collectNested(value[i], shape, depth + 1, `${path}[${i}]`, out);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * writeElement's rules, plus one the JSON form needs: a JSON number cannot
 * hold every 64-bit integer exactly, so INT64 and UINT64 also take decimal
 * strings ("9007199254740993"); plain numbers stay limited to ±2^53.
 */
function writeJsonElement(data: TensorData, index: number, type: DataType, value: unknown): string | undefined {
  if ((type === 'int64' || type === 'uint64') && typeof value === 'string') {
    const [min, max] = INT64_RANGE[type];
    if (/^-?\d{1,20}$/.test(value)) {
      const parsed = BigInt(value);
      if (parsed >= min && parsed <= max) {
        (data as BigInt64Array)[index] = parsed as never;
        return undefined;
      }
    }
    return `must be an integer between ${min} and ${max} (${toV2DataType(type)}), got the string ${quoted(value)}`;
  }
  const rule = writeElement(data, index, type, value)?.replace(`(${type})`, `(${toV2DataType(type)})`);
  if (rule && (type === 'int64' || type === 'uint64') && typeof value === 'number' && Number.isInteger(value)) {
    return `${rule}; send larger values as decimal strings or as binary data (a JSON number beyond 2^53 is already rounded)`;
  }
  return rule;
}

/** An output's elements as JSON values: BOOL as true/false, FP16 as numbers, 64-bit integers as bigints. */
export function jsonData(tensor: Tensor): ArrayLike<unknown> {
  switch (tensor.type) {
    case 'bool':
      return Array.from(tensor.data as Uint8Array, (value) => value !== 0);
    case 'float16':
      return Array.from(tensor.data as Uint16Array, halfToFloat);
    default:
      return tensor.data;
  }
}

/**
 * A JSON output's values as a plain array when JSON.stringify writes each of them as the protocol
 * wants (finite numbers, booleans), else undefined: the answer then goes through stringifyJson.
 */
export function plainJsonData(tensor: Tensor): unknown[] | undefined {
  if (tensor.type === 'int64' || tensor.type === 'uint64' || tensor.type === 'string') return undefined;
  const values = jsonData(tensor);
  if (tensor.type !== 'bool' && !allFiniteNumbers(values)) return undefined;
  return Array.isArray(values) ? values : Array.from(values);
}

/**
 * JSON.stringify for inference responses, which it cannot write:
 * - 64-bit integers (bigint) are written as exact JSON numbers, even beyond
 *   2^53, as Triton does; JSON numbers have no size limit, parsers that read
 *   them into doubles round them (send `binary_data: true` for exact values anywhere);
 * - NaN and ±Infinity, which JSON has no number for, become the strings
 *   "NaN", "Infinity" and "-Infinity" (numpy reads these back as floats);
 * - typed arrays are written as arrays.
 */
export function stringifyJson(value: unknown): string {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : `"${value}"`;
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value) || ArrayBuffer.isView(value)) {
        const items = value as ArrayLike<unknown>;
        // Tensor data is almost always finite numbers, which JSON.stringify writes natively and fastest
        // (the element-by-element path below showed in profiles of every /v2 JSON answer).
        if (allFiniteNumbers(items)) return JSON.stringify(Array.isArray(items) ? items : Array.from(items));
        const parts = new Array<string>(items.length);
        for (let i = 0; i < items.length; i++) parts[i] = stringifyJson(items[i]);
        return `[${parts.join(',')}]`;
      }
      // Built in one string, without arrays of entries: every answer has a few objects, on the hot path.
      let json = '{';
      for (const key of Object.keys(value)) {
        const member = (value as Record<string, unknown>)[key];
        if (member === undefined) continue;
        json += `${json.length > 1 ? ',' : ''}${JSON.stringify(key)}:${stringifyJson(member)}`;
      }
      return `${json}}`;
    }
    default:
      return 'null';
  }
}

function allFiniteNumbers(items: ArrayLike<unknown>): boolean {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (typeof item !== 'number' || !Number.isFinite(item)) return false;
  }
  return true;
}
