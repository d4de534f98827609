/**
 * The service's own tensor vocabulary, independent of onnxruntime-node so that
 * controllers, mappers and tests never import the runtime.
 * Datatype names follow onnxruntime's (`float32`, `int64`, `bool`, `string`...).
 */
export const DATA_TYPES = [
  'float32',
  'float64',
  'float16',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
  'string',
] as const;
export type DataType = (typeof DATA_TYPES)[number];

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array
  | string[];

export interface Tensor {
  readonly type: DataType;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

export type TensorMap = Record<string, Tensor>;

/** A model input or output as the model declares it; a string or -1 dimension is dynamic. */
export interface TensorSpec {
  readonly name: string;
  /** `undefined` when the value is not a tensor (sequence, map): such models cannot be fed by this service. */
  readonly type: DataType | undefined;
  /** Each dimension: a number, or `null` when dynamic (symbolic or unknown). */
  readonly dims: readonly (number | null)[];
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((count, dim) => count * dim, 1);
}

export function isDataType(value: string): value is DataType {
  return (DATA_TYPES as readonly string[]).includes(value);
}

/** Largest finite float32; a JSON number beyond it would silently become Infinity in the tensor. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** Inclusive bounds for integer datatypes that fit a JS number exactly. */
export const INTEGER_BOUNDS: Partial<Record<DataType, readonly [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/** The typed array holding each datatype's values (float16 as its raw bits). */
const TYPED_ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
} as const;

export function allocate(type: DataType, length: number): TensorData {
  return type === 'string' ? new Array<string>(length).fill('') : new TYPED_ARRAYS[type](length);
}

/**
 * Like allocate, for data that is about to be overwritten whole (a decoded
 * request, a batch being concatenated): the memory is not zeroed first.
 * Zeroing showed in profiles of large requests (a 16-image request and its
 * batch: 150 KB per request). The buffer is the array's own, whole, so it can
 * still be moved to a worker thread rather than copied.
 */
export function allocateUninitialized(type: DataType, length: number): TensorData {
  if (type === 'string') return allocate(type, length);
  const TypedArray = TYPED_ARRAYS[type];
  const bytes = Buffer.allocUnsafeSlow(length * TypedArray.BYTES_PER_ELEMENT);
  return new TypedArray(bytes.buffer, bytes.byteOffset, length);
}

/** One element of a tensor as a JSON-safe value (64-bit integers beyond 2^53 become strings). */
export function elementToJson(data: TensorData, index: number, type: DataType): number | string | boolean {
  const value = data[index];
  if (type === 'bool') return value !== 0;
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (type === 'float16') return halfToFloat(value as number);
  return value as number | string;
}

/** Decodes IEEE 754 binary16 bits, the form onnxruntime-node uses for float16 tensors. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x03ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * The rows of a batched tensor as nested JSON arrays, one entry per item of the
 * first dimension; this is how a per-instance answer is cut out of a batch.
 */
export function splitRowsToJson(tensor: Tensor): unknown[] {
  const [rows, ...rowDims] = tensor.dims;
  const rowSize = elementCount(rowDims);
  const result: unknown[] = [];
  for (let row = 0; row < (rows ?? 1); row++) {
    result.push(nest(tensor, row * rowSize, rowDims));
  }
  return result;
}

/** The elements of `tensor` from `offset` on, nested as `dims` says (a scalar when `dims` is empty). */
export function nestedJson(tensor: Tensor, offset: number, dims: readonly number[]): unknown {
  return nest(tensor, offset, dims);
}

function nest(tensor: Tensor, offset: number, dims: readonly number[]): unknown {
  if (dims.length === 0) return elementToJson(tensor.data, offset, tensor.type);
  const [head, ...rest] = dims;
  const stride = elementCount(rest);
  const out: unknown[] = [];
  for (let i = 0; i < head; i++) out.push(nest(tensor, offset + i * stride, rest));
  return out;
}

/**
 * Writes one JSON value into a tensor's storage, checking that it fits the
 * datatype exactly. Returns the broken rule (e.g. "must be a finite number")
 * instead of throwing, so callers can collect every problem with its path.
 */
export function writeElement(data: TensorData, index: number, type: DataType, value: unknown): string | undefined {
  switch (type) {
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      (data as string[])[index] = value;
      return undefined;
    case 'bool':
      if (typeof value === 'boolean') (data as Uint8Array)[index] = value ? 1 : 0;
      else if (value === 0 || value === 1) (data as Uint8Array)[index] = value;
      else return 'must be a boolean';
      return undefined;
    case 'float32':
    case 'float64':
    case 'float16': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a finite number';
      if (type === 'float32' && Math.abs(value) > FLOAT32_MAX) return `must be within ±${FLOAT32_MAX} (float32)`;
      if (type === 'float16') {
        if (Math.abs(value) > 65504) return 'must be within ±65504 (float16)';
        (data as Uint16Array)[index] = floatToHalf(value);
      } else {
        (data as Float32Array | Float64Array)[index] = value;
      }
      return undefined;
    }
    default: {
      const bounds = INTEGER_BOUNDS[type]!;
      if (typeof value !== 'number' || !Number.isInteger(value)) return `must be an integer (${type})`;
      if (value < bounds[0] || value > bounds[1]) return `must be between ${bounds[0]} and ${bounds[1]} (${type})`;
      if (type === 'int64' || type === 'uint64') (data as BigInt64Array)[index] = BigInt(value) as never;
      else (data as Int32Array)[index] = value;
      return undefined;
    }
  }
}

/** Encodes a number as IEEE 754 binary16 bits (round to nearest even). */
export function floatToHalf(value: number): number {
  const floatView = new Float32Array(1);
  const intView = new Uint32Array(floatView.buffer);
  floatView[0] = value;
  const x = intView[0];
  const sign = (x >>> 16) & 0x8000;
  let exponent = ((x >>> 23) & 0xff) - 127 + 15;
  let mantissa = x & 0x7fffff;
  if (exponent >= 0x1f) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    mantissa = (mantissa | 0x800000) >> (1 - exponent);
    if (mantissa & 0x1000) mantissa += 0x2000;
    return sign | (mantissa >> 13);
  }
  if (mantissa & 0x1000) {
    mantissa += 0x2000;
    if (mantissa & 0x800000) {
      mantissa = 0;
      exponent += 1;
      if (exponent >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (exponent << 10) | (mantissa >> 13);
}
