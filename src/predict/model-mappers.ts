import type { TensorSpec } from '../inference/tensors';
import type { ModelStatus, ReadyVersion } from '../model-registry/model-version';
import { expectedDigest } from '../model-registry/model-digest';
import { mapConfigError } from '../model-summary/model-summary.mapper';
import type { ModelMetadataDto, TensorSpecDto } from './dto/model.dto';

/** GET /v1/models/{name}: one version's metadata, and the model's refused config.json while there is one. */
export function mapModelMetadata(ready: ReadyVersion, model: ModelStatus): ModelMetadataDto {
  const manifest = ready.manifest;
  const configError = mapConfigError(model);
  const declared = expectedDigest(model, ready.version)?.sha256;
  return {
    model: ready.name,
    version: ready.version,
    task: manifest?.task ?? 'generic',
    ...(manifest?.description ? { description: manifest.description } : {}),
    inputs: ready.model.inputs.map(mapTensorSpec),
    outputs: ready.model.outputs.map(mapTensorSpec),
    ...(manifest?.features ? { features: manifest.features } : {}),
    ...(manifest?.labels ? { labels: manifest.labels } : {}),
    ...(manifest?.evaluation ? { evaluation: manifest.evaluation } : {}),
    sha256: ready.sha256,
    ...(declared !== undefined ? { declared_sha256: declared } : {}),
    ...(configError ? { config_error: configError } : {}),
  };
}

export function mapTensorSpec(spec: TensorSpec): TensorSpecDto {
  return { name: spec.name, datatype: spec.type ?? 'unsupported', shape: spec.dims.map((dim) => dim ?? -1) };
}
