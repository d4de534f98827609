import type { TensorSpec } from '../inference/tensors';
import type { VersionManifest } from './manifest';

/**
 * Checks that a manifest describes the model it sits beside, so a mismatch
 * (four feature names for a five-column input, labels for a missing output)
 * fails the version at load time instead of every request later.
 */
export function checkManifestFitsModel(
  manifest: VersionManifest,
  inputs: readonly TensorSpec[],
  outputs: readonly TensorSpec[],
): void {
  for (const spec of [...inputs, ...outputs]) {
    if (spec.type === undefined) throw new Error(`${spec.name} is not a tensor of a supported datatype`);
  }
  if (manifest.features) {
    if (inputs.length !== 1) {
      throw new Error(`manifest names features, but the model has ${inputs.length} inputs (features need exactly one)`);
    }
    const columns = inputs[0].dims.at(-1);
    if (inputs[0].dims.length !== 2 || (columns !== null && columns !== manifest.features.length)) {
      throw new Error(
        `manifest names ${manifest.features.length} features, but input ${inputs[0].name} has shape [${inputs[0].dims.map((d) => d ?? '*').join(', ')}]`,
      );
    }
  }
  if (manifest.image) {
    const image = manifest.image;
    const channels = image.color === 'grayscale' ? 1 : 3;
    const expected =
      image.layout === 'NCHW' ? [channels, image.height, image.width] : [image.height, image.width, channels];
    const input = inputs[0];
    const fits =
      inputs.length === 1 &&
      input.type === 'float32' &&
      input.dims.length === 4 &&
      input.dims.slice(1).every((dim, i) => dim === null || dim === expected[i]);
    if (!fits) {
      throw new Error(
        `manifest image preprocessing makes float32 [batch, ${expected.join(', ')}] (${image.layout}), which does not fit the model's inputs`,
      );
    }
    if (image.mean.length !== 1 && image.mean.length !== channels) {
      throw new Error(`image.mean and image.std need 1 or ${channels} values for ${image.color} images`);
    }
  }
  const labels = manifest.labels;
  if (manifest.task === 'classification' && labels) {
    const fits = (spec: TensorSpec) =>
      (spec.type === 'float32' || spec.type === 'float64') &&
      spec.dims.length === 2 &&
      (spec.dims[1] === null || spec.dims[1] === labels.length);
    if (manifest.scores_output) {
      const named = outputs.find((spec) => spec.name === manifest.scores_output);
      if (!named) throw new Error(`manifest scores_output "${manifest.scores_output}" is not an output of the model`);
      if (!fits(named)) throw new Error(`output ${named.name} is not a float [batch, ${labels.length}] tensor of class scores`);
    } else if (!outputs.some(fits)) {
      throw new Error(`no float output of shape [batch, ${labels.length}] to hold the scores of ${labels.length} labels`);
    }
  }
}
