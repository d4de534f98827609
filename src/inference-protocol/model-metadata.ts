import type { TensorSpec } from '../inference/tensors';
import type { ModelStatus, ReadyVersion } from '../model-registry/model-version';
import { isServable } from '../model-registry/servable';
import { toV2DataType } from './datatypes';
import type { V2ModelMetadataDto, V2TensorMetadataDto } from './dto/metadata.dto';

/** What the protocol's model metadata calls the framework serving a model. */
export const PLATFORM = 'onnxruntime_onnx';

/**
 * The protocol's model metadata: the versions a request may ask for (READY ones, and with MODEL_LOADING=lazy
 * those its request would load), and the inputs and outputs of the version that answers.
 */
export function mapModelMetadata(ready: ReadyVersion, model: ModelStatus): V2ModelMetadataDto {
  return {
    name: ready.name,
    versions: model.versions.filter((status) => isServable(model, status)).map((status) => String(status.version)),
    platform: PLATFORM,
    inputs: ready.model.inputs.map(tensorMetadata),
    outputs: ready.model.outputs.map(tensorMetadata),
  };
}

function tensorMetadata(spec: TensorSpec): V2TensorMetadataDto {
  return {
    name: spec.name,
    // Versions whose tensors have no supported datatype never become READY; the fallback only satisfies the type.
    datatype: spec.type ? toV2DataType(spec.type) : ('UNKNOWN' as never),
    shape: spec.dims.map((dim) => dim ?? -1),
  };
}
