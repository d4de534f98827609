import type { TensorMap } from '../inference/tensors';
import type { ReadyVersion } from '../model-registry/model-version';
import { encodeBinaryTensor, encodeInferenceBody, type EncodedBody } from './binary-codec';
import { toV2DataType } from './datatypes';
import type { V2ResponseOutputDto } from './dto/inference.dto';
import { jsonData, stringifyJson } from './json-tensors';
import type { DecodedInferenceRequest } from './request-decoder';

/**
 * The inference response for the requested outputs, in the order requested:
 * JSON outputs carry their data flat in row-major order; binary outputs carry
 * parameters.binary_data_size, and their bytes follow the JSON header in the
 * same order (Triton's binary tensor data extension).
 */
export function encodeInferenceResponse(
  ready: Pick<ReadyVersion, 'name' | 'version'>,
  request: Pick<DecodedInferenceRequest, 'id' | 'outputs'>,
  results: TensorMap,
): EncodedBody {
  const binary: Buffer[] = [];
  const responseOutputs: V2ResponseOutputDto[] = request.outputs.map((output) => {
    const tensor = results[output.name];
    if (!tensor) throw new Error(`onnxruntime returned no tensor for output ${output.name}`);
    const datatype = toV2DataType(tensor.type);
    if (!output.binary) return { name: output.name, datatype, shape: [...tensor.dims], data: jsonData(tensor) as unknown[] };
    const bytes = encodeBinaryTensor(tensor);
    binary.push(bytes);
    return { name: output.name, datatype, shape: [...tensor.dims], parameters: { binary_data_size: bytes.length } };
  });
  const json = stringifyJson({
    model_name: ready.name,
    model_version: String(ready.version),
    id: request.id,
    outputs: responseOutputs,
  });
  // Each binary output pushed one buffer (an empty tensor too): none pushed means none was asked for, and the answer is JSON alone.
  return encodeInferenceBody(json, binary.length > 0 ? binary : undefined);
}
