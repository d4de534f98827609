import type { TensorMap } from '../inference/tensors';
import type { ReadyVersion } from '../model-registry/model-version';
import { encodeBinaryTensor, encodeInferenceBody, type EncodedBody } from './binary-codec';
import { toV2DataType } from './datatypes';
import type { V2ResponseOutputDto } from './dto/inference.dto';
import { jsonData, plainJsonData, stringifyJson } from './json-tensors';
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
  // JSON.stringify writes the whole answer, natively, unless a value needs stringifyJson (NaN, 64-bit integers).
  let plain = true;
  const responseOutputs: V2ResponseOutputDto[] = request.outputs.map((output) => {
    const tensor = results[output.name];
    if (!tensor) throw new Error(`onnxruntime returned no tensor for output ${output.name}`);
    const datatype = toV2DataType(tensor.type);
    if (!output.binary) {
      let data = plainJsonData(tensor);
      if (data === undefined) {
        plain = false;
        data = jsonData(tensor) as unknown[];
      }
      return { name: output.name, datatype, shape: [...tensor.dims], data };
    }
    const bytes = encodeBinaryTensor(tensor);
    binary.push(bytes);
    return { name: output.name, datatype, shape: [...tensor.dims], parameters: { binary_data_size: bytes.length } };
  });
  const response = { model_name: ready.name, model_version: String(ready.version), id: request.id, outputs: responseOutputs };
  const json = plain ? JSON.stringify(response) : stringifyJson(response);
  // Each binary output pushed one buffer (an empty tensor too): none pushed means none was asked for, and the answer is JSON alone.
  return encodeInferenceBody(json, binary.length > 0 ? binary : undefined);
}
