import { InvalidInputError } from '../common/errors/domain-error';
import { allocate, type DataType, type TensorMap, type TensorSpec, writeElement } from '../inference/tensors';
import type { ImagePreprocessing } from '../model-registry/manifest';
import type { ReadyVersion } from '../model-registry/model-version';
import { channelsOf, type Pixels } from './image-preprocessing';

/** One inference's worth of inputs and how many instances it carries. */
export interface DecodedBatch {
  feeds: TensorMap;
  rows: number;
}

/** Stop collecting after this many problems: one hostile request must not build a megabyte of error text. */
const MAX_PROBLEMS = 20;

interface InputPlan {
  name: string;
  type: DataType;
  /** Dimensions of one instance (the model's shape without its batch dimension); null = any size. */
  rowDims: (number | null)[];
}

/**
 * Turns `instances` of a /v1 predict request into input tensors, checking
 * every value against the model before anything runs. An instance is:
 * - an object of named features, when the manifest names them (single input);
 * - a (nested) array matching the single input's shape without the batch dimension;
 * - for models with several inputs, an object keyed by input name.
 * Models with a dynamic batch dimension get all instances as one batch;
 * models whose batch dimension is fixed to 1 get one batch per instance.
 */
export function decodeInstances(instances: readonly unknown[], ready: ReadyVersion): DecodedBatch[] {
  const inputs = ready.model.inputs;
  const batching = batchingOf(inputs, ready.name);
  const plans = inputs.map(
    (spec): InputPlan => ({ name: spec.name, type: spec.type!, rowDims: spec.dims.slice(1) }),
  );
  const features = ready.manifest?.features;
  const problems = new ProblemList();
  const rowsPerInput: FlatRow[][] = plans.map(() => []);

  instances.forEach((instance, index) => {
    if (problems.full) return;
    const at = `instances[${index}]`;
    if (plans.length === 1) {
      const plan = plans[0];
      const values =
        features && isPlainObject(instance) ? featuresToRow(instance, features, plan.type, at, problems) : instance;
      if (values === undefined) return;
      const flat = flatten(values, plan.rowDims, at, problems, plan.type);
      if (flat) rowsPerInput[0].push(flat);
      return;
    }
    if (!isPlainObject(instance)) {
      problems.add(`${at} must be an object keyed by input name (${plans.map((p) => p.name).join(', ')})`);
      return;
    }
    for (const key of Object.keys(instance)) {
      if (!plans.some((plan) => plan.name === key)) problems.add(`${at}.${key} is not an input of this model`);
    }
    plans.forEach((plan, i) => {
      if (!Object.hasOwn(instance, plan.name)) {
        problems.add(`${at}.${plan.name} is required`);
        return;
      }
      const flat = flatten(instance[plan.name], plan.rowDims, `${at}.${plan.name}`, problems, plan.type);
      if (flat) rowsPerInput[i].push(flat);
    });
  });
  if (problems.length > 0) throw new InvalidInputError(problems.list());

  const chunks = batching === 'dynamic' ? [instances.map((_, i) => i)] : instances.map((_, i) => [i]);
  return chunks.map((rows) => ({
    rows: rows.length,
    feeds: Object.fromEntries(plans.map((plan, i) => [plan.name, toTensor(plan, rows.map((r) => rowsPerInput[i][r]))])),
  }));
}

function batchingOf(inputs: readonly TensorSpec[], model: string): 'dynamic' | 'one-per-run' {
  const firstDims = inputs.map((input) => input.dims[0]);
  if (inputs.length > 0 && firstDims.every((dim) => dim === null)) return 'dynamic';
  if (inputs.length > 0 && firstDims.every((dim) => dim === null || dim === 1)) return 'one-per-run';
  throw new InvalidInputError([
    `model "${model}" has an input without a batch dimension (first dimension dynamic or 1); /v1 predict cannot feed it`,
  ]);
}

function featuresToRow(
  instance: Record<string, unknown>,
  features: readonly string[],
  type: DataType,
  at: string,
  problems: ProblemList,
): unknown[] | undefined {
  const before = problems.length;
  for (const key of Object.keys(instance)) {
    if (!features.includes(key)) problems.add(`${at}.${key} is not a feature of this model (features: ${features.join(', ')})`);
  }
  const scratch = allocate(type, 1);
  const row = features.map((feature) => {
    if (!Object.hasOwn(instance, feature)) {
      problems.add(`${at}.${feature} is required`);
      return undefined;
    }
    const rule = writeElement(scratch, 0, type, instance[feature]);
    if (rule) problems.add(`${at}.${feature} ${rule}`);
    return instance[feature];
  });
  if (problems.length > before) return undefined;
  return row;
}

/** A row's values, flattened in row-major order, or undefined after recording why it does not fit. */
interface FlatRow {
  values: unknown[];
  dims: number[];
}

function flatten(
  value: unknown,
  dims: (number | null)[],
  at: string,
  problems: ProblemList,
  type: DataType,
): FlatRow | undefined {
  const values: unknown[] = [];
  const resolved: number[] = [];
  const before = problems.length;
  const walk = (node: unknown, depth: number, path: string): void => {
    if (problems.full) return;
    if (depth === dims.length) {
      if (Array.isArray(node) || isPlainObject(node)) {
        problems.add(`${path} must be a single value, not ${Array.isArray(node) ? 'an array' : 'an object'}`);
        return;
      }
      values.push(node);
      return;
    }
    if (!Array.isArray(node)) {
      problems.add(`${path} must be an array (expected shape ${shapeText(dims.slice(depth))}, ${type})`);
      return;
    }
    const expected = dims[depth] ?? resolved[depth];
    if (expected !== undefined && node.length !== expected) {
      problems.add(`${path} must have ${expected} elements, got ${node.length} (expected shape ${shapeText(dims.slice(depth))})`);
      return;
    }
    resolved[depth] ??= node.length;
    node.forEach((child, i) => walk(child, depth + 1, `${path}[${i}]`));
  };
  walk(value, 0, at);
  if (problems.length > before) return undefined;

  const scratch = allocate(type, 1);
  values.forEach((element, i) => {
    const rule = writeElement(scratch, 0, type, element);
    if (rule) problems.add(`${elementPath(at, dims.length > 0 ? resolved : [], i)} ${rule}`);
  });
  if (problems.length > before) return undefined;
  return { values, dims: dims.map((dim, depth) => dim ?? resolved[depth] ?? 0) };
}

function toTensor(plan: InputPlan, rows: FlatRow[]) {
  const rowDims = rows[0].dims;
  for (const row of rows) {
    if (row.dims.join() !== rowDims.join()) {
      throw new InvalidInputError([
        `instances of one request must share the shape of input ${plan.name}: got ${shapeText(rowDims)} and ${shapeText(row.dims)}`,
      ]);
    }
  }
  const rowSize = rows[0].values.length;
  const data = allocate(plan.type, rowSize * rows.length);
  rows.forEach((row, r) => row.values.forEach((value, i) => writeElement(data, r * rowSize + i, plan.type, value)));
  return { type: plan.type, dims: [rows.length, ...rowDims], data };
}

function elementPath(at: string, dims: number[], flatIndex: number): string {
  let rest = flatIndex;
  const indexes: number[] = [];
  for (let d = dims.length - 1; d >= 0; d--) {
    indexes.unshift(rest % dims[d]);
    rest = Math.floor(rest / dims[d]);
  }
  return at + indexes.map((i) => `[${i}]`).join('');
}

function shapeText(dims: readonly (number | null)[]): string {
  return `[${dims.map((dim) => dim ?? '*').join(', ')}]`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class ProblemList {
  private readonly problems: string[] = [];
  add(problem: string): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
  }
  get full(): boolean {
    return this.problems.length >= MAX_PROBLEMS;
  }
  get length(): number {
    return this.problems.length;
  }
  list(): string[] {
    return this.problems;
  }
}

/**
 * JSON instances of an image model: the image's pixels (0-255) as
 * [height][width] for grayscale or [height][width][channels] for colour,
 * which then go through the same arithmetic as uploaded images.
 */
export function decodePixelInstances(instances: readonly unknown[], pre: ImagePreprocessing): Pixels[] {
  const channels = channelsOf(pre);
  const dims = channels === 1 ? [pre.height, pre.width] : [pre.height, pre.width, channels];
  const problems = new ProblemList();
  const result: Pixels[] = [];
  instances.forEach((instance, index) => {
    if (problems.full) return;
    const at = `instances[${index}]`;
    const row = flatten(instance, dims, at, problems, 'float32');
    if (!row) return;
    const outOfRange = row.values.findIndex((value) => (value as number) < 0 || (value as number) > 255);
    if (outOfRange >= 0) {
      problems.add(`${elementPath(at, dims, outOfRange)} must be a pixel value between 0 and 255`);
      return;
    }
    result.push({ data: row.values as number[], channels });
  });
  if (problems.length > 0) throw new InvalidInputError(problems.list());
  return result;
}
