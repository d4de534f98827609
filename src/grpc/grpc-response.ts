import type { TensorMap } from '../inference/tensors';
import type { ReadyVersion } from '../model-registry/model-version';
import { encodeBinaryTensor } from '../inference-protocol/binary-codec';
import { toV2DataType } from '../inference-protocol/datatypes';
import type { DecodedInferenceRequest } from '../inference-protocol/request-decoder';
import type { ModelInferResponse } from './grpc-definitions';

/**
 * The ModelInferResponse for the requested outputs, in the order requested,
 * every output's data in raw_output_contents (what tritonclient reads), with
 * the version that served.
 */
export function toGrpcInferResponse(
  ready: Pick<ReadyVersion, 'name' | 'version'>,
  request: Pick<DecodedInferenceRequest, 'id' | 'outputs'>,
  results: TensorMap,
): ModelInferResponse {
  const outputs: ModelInferResponse['outputs'] = [];
  const raw: Buffer[] = [];
  for (const { name } of request.outputs) {
    const tensor = results[name];
    if (!tensor) throw new Error(`onnxruntime returned no tensor for output ${name}`);
    outputs.push({ name, datatype: toV2DataType(tensor.type), shape: [...tensor.dims] });
    raw.push(encodeBinaryTensor(tensor));
  }
  return { model_name: ready.name, model_version: String(ready.version), id: request.id ?? '', outputs, raw_output_contents: raw };
}
