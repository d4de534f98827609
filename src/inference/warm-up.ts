import type { LoadedModel } from './engine-contracts';
import { allocate, elementCount, type TensorMap } from './tensors';

/**
 * Runs one inference on inputs built from the model's own metadata (dynamic
 * dimensions set to 1, zeros everywhere), so the first client request does not
 * pay for lazy allocations and a model that cannot run is caught before it is
 * declared ready.
 */
export async function warmUp(model: LoadedModel): Promise<void> {
  await model.run(zeroFeeds(model, 1));
}

/**
 * Zeros for every input; a dynamic first (batch) dimension gets `rows`, other
 * dynamic dimensions 1.
 */
export function zeroFeeds(model: LoadedModel, rows: number): TensorMap {
  const feeds: TensorMap = {};
  for (const input of model.inputs) {
    if (input.type === undefined) {
      throw new Error(`input ${input.name} is not a tensor of a supported datatype`);
    }
    const dims = input.dims.map((dim, i) => dim ?? (i === 0 ? rows : 1));
    feeds[input.name] = { type: input.type, dims, data: allocate(input.type, elementCount(dims)) };
  }
  return feeds;
}
