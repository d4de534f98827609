import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { onnx } from 'onnx-proto';

/**
 * Small ONNX models built in TypeScript (onnx-proto's protobufjs classes), so
 * tests can cover datatypes and graph shapes no bundled model has, without Python.
 */

/** onnx.TensorProto.DataType numbers. */
export const ELEM = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

/** A dimension: a number is fixed, a string is symbolic (dynamic). */
export type Dim = number | string;

export interface ValueSpec {
  name: string;
  elemType: number;
  dims: readonly Dim[];
}

export interface NodeSpec {
  opType: string;
  input: string[];
  output: string[];
  /** An integer (`i`) or a list of integers (`ints`, e.g. Constant's value_ints). */
  attribute?: ({ name: string; i: number } | { name: string; ints: number[] })[];
}

function valueInfo({ name, elemType, dims }: ValueSpec): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}

/** Serialized model bytes (opset 17, IR 8) for a graph of the given nodes. */
export function buildModel(graph: { inputs: ValueSpec[]; outputs: ValueSpec[]; nodes: NodeSpec[] }): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      producerName: 'onnx-model-server tests',
      graph: {
        name: 'test_graph',
        input: graph.inputs.map(valueInfo),
        output: graph.outputs.map(valueInfo),
        node: graph.nodes.map((node, i) => ({
          name: `node_${i}`,
          opType: node.opType,
          input: node.input,
          output: node.output,
          attribute: (node.attribute ?? []).map((attribute) =>
            'ints' in attribute
              ? { name: attribute.name, type: onnx.AttributeProto.AttributeType.INTS, ints: attribute.ints }
              : { name: attribute.name, type: onnx.AttributeProto.AttributeType.INT, i: attribute.i },
          ),
        })),
      },
    }),
  ).finish();
}

/** y = x, for one datatype: input "x" and output "y" shaped [N, 2]. */
export function identityModel(elemType: number, dims: readonly Dim[] = ['N', 2]): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', elemType, dims }],
    outputs: [{ name: 'y', elemType, dims }],
    nodes: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
  });
}

/**
 * Several inputs and outputs of non-float datatypes:
 * - ids INT64 [N, 3], mask BOOL [N, 3], text BYTES (string) [N], scale FP32 [N, 3]
 * - doubled INT64 [N, 3] = ids + ids
 * - inverted BOOL [N, 3] = not mask
 * - echoed BYTES [N] = text
 * - masked FP32 [N, 3] = scale × mask
 * - count INT64 [] = number of true values in mask (a scalar)
 */
export function multiIoModel(): Uint8Array {
  return buildModel({
    inputs: [
      { name: 'ids', elemType: ELEM.INT64, dims: ['N', 3] },
      { name: 'mask', elemType: ELEM.BOOL, dims: ['N', 3] },
      { name: 'text', elemType: ELEM.STRING, dims: ['N'] },
      { name: 'scale', elemType: ELEM.FLOAT, dims: ['N', 3] },
    ],
    outputs: [
      { name: 'doubled', elemType: ELEM.INT64, dims: ['N', 3] },
      { name: 'inverted', elemType: ELEM.BOOL, dims: ['N', 3] },
      { name: 'echoed', elemType: ELEM.STRING, dims: ['N'] },
      { name: 'masked', elemType: ELEM.FLOAT, dims: ['N', 3] },
      { name: 'count', elemType: ELEM.INT64, dims: [] },
    ],
    nodes: [
      { opType: 'Add', input: ['ids', 'ids'], output: ['doubled'] },
      { opType: 'Not', input: ['mask'], output: ['inverted'] },
      { opType: 'Identity', input: ['text'], output: ['echoed'] },
      { opType: 'Cast', input: ['mask'], output: ['mask_float'], attribute: [{ name: 'to', i: ELEM.FLOAT }] },
      { opType: 'Mul', input: ['scale', 'mask_float'], output: ['masked'] },
      { opType: 'Cast', input: ['mask'], output: ['mask_int'], attribute: [{ name: 'to', i: ELEM.INT64 }] },
      { opType: 'ReduceSum', input: ['mask_int'], output: ['count'], attribute: [{ name: 'keepdims', i: 0 }] },
    ],
  });
}

/**
 * y = x, computed slowly: the first row of x tiled into a [rows, 4 * columns] matrix multiplied by its
 * transpose (2 * rows² * 4 * columns flops, whatever the batch), whose sum, minus itself, is added to x.
 * The work depends on the input, so onnxruntime cannot fold it away when it loads the model; the answer
 * is exactly x, so a shadow of it agrees with identityModel(ELEM.FLOAT, ['N', 4]).
 */
export function slowIdentityModel(rows: number, columns: number): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', elemType: ELEM.FLOAT, dims: ['N', 4] }],
    outputs: [{ name: 'y', elemType: ELEM.FLOAT, dims: ['N', 4] }],
    nodes: [
      { opType: 'Constant', input: [], output: ['zero'], attribute: [{ name: 'value_ints', ints: [0] }] },
      { opType: 'Constant', input: [], output: ['one'], attribute: [{ name: 'value_ints', ints: [1] }] },
      { opType: 'Slice', input: ['x', 'zero', 'one'], output: ['first'] },
      { opType: 'Constant', input: [], output: ['repeats'], attribute: [{ name: 'value_ints', ints: [rows, columns] }] },
      { opType: 'Tile', input: ['first', 'repeats'], output: ['tiled'] },
      { opType: 'Transpose', input: ['tiled'], output: ['transposed'] },
      { opType: 'MatMul', input: ['tiled', 'transposed'], output: ['product'] },
      { opType: 'ReduceSum', input: ['product'], output: ['sum'], attribute: [{ name: 'keepdims', i: 0 }] },
      { opType: 'Sub', input: ['sum', 'sum'], output: ['nothing'] },
      { opType: 'Add', input: ['x', 'nothing'], output: ['y'] },
    ],
  });
}

/** Writes `<modelsDir>/<name>/<version>/model.onnx` (no manifest, no config: the model is served as ONNX describes it). */
export async function writeModel(modelsDir: string, name: string, version: number, bytes: Uint8Array): Promise<void> {
  const dir = path.join(modelsDir, name, String(version));
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.onnx'), bytes);
}
