import type { DataType } from '../inference/tensors';

/**
 * The Open Inference Protocol's tensor datatypes this server can carry, and
 * the ONNX datatype (onnxruntime-node's name) each one maps to. BF16 is a
 * protocol datatype too, but onnxruntime-node cannot feed it, so it is left out.
 */
const V2_TO_ONNX = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
} as const satisfies Record<string, DataType>;

export type V2DataType = keyof typeof V2_TO_ONNX;

export const V2_DATATYPES = Object.keys(V2_TO_ONNX) as V2DataType[];

const ONNX_TO_V2 = Object.fromEntries(Object.entries(V2_TO_ONNX).map(([v2, onnx]) => [onnx, v2])) as Record<
  DataType,
  V2DataType
>;

export function isV2DataType(value: string): value is V2DataType {
  return Object.hasOwn(V2_TO_ONNX, value);
}

export function fromV2DataType(datatype: V2DataType): DataType {
  return V2_TO_ONNX[datatype];
}

export function toV2DataType(type: DataType): V2DataType {
  return ONNX_TO_V2[type];
}

/**
 * Bytes per element in the binary tensor data extension ("the native size of
 * the data type"; BOOL is one byte). BYTES has no fixed size: undefined.
 */
export function elementByteSize(type: DataType): number | undefined {
  switch (type) {
    case 'bool':
    case 'int8':
    case 'uint8':
      return 1;
    case 'int16':
    case 'uint16':
    case 'float16':
      return 2;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 4;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 8;
    case 'string':
      return undefined;
  }
}
