import { expect } from 'vitest';

/**
 * Compares model outputs structurally: floats within a float32 tolerance,
 * everything else exactly.
 *
 * onnxruntime and sharp pick different kernels (SIMD width, FMA, summation
 * order) on different CPUs, so the last bits of a float output are not the same
 * on every x86-64 machine, even of the same kind: the digit model's 0.9956964254379272
 * for test/fixtures/digits/seven.png on one host is 0.9956965446472168 on another
 * (2 float32 ulps). What must not
 * vary is still exact: classes, labels, class ids, shapes, datatypes, strings,
 * booleans, integer tensors and the length of every array.
 *
 * Tolerance (FLOAT32_TOLERANCE): two floats a and e match when
 *
 *     |a - e| <= max(abs, rel * max(|a|, |e|))     rel = 1e-5, abs = 1e-6
 *
 * - rel 1e-5 is at least 84 float32 ulps (float32 has 24 significant bits, an ulp
 *   is 2^-23 ≈ 1.2e-7 relative at most): room for the few-ulp differences that
 *   other kernels produce through a small network and its softmax (2 ulps,
 *   1.2e-7, measured above), while a difference in the 5th significant digit fails.
 *   A last printed digit that differs (0.995696 vs 0.995697) is 1.0e-6 relative: passes.
 * - abs 1e-6 is the floor for values near 0 (a probability of 5.5e-8), whose
 *   relative error can be large after exp() while its absolute error stays tiny.
 * - A probability off by 1e-3 fails at any magnitude: a probability is at most
 *   1, so its allowance is at most 1e-5.
 *
 * Which numbers are floats, walking the JSON:
 * - under a key in FLOAT_KEYS (probability, probabilities, confidence, score(s),
 *   logit(s)): every number in that subtree;
 * - `data` of an Open Inference Protocol tensor whose `datatype` is FP16, FP32,
 *   FP64 or BF16 (so FP32 1e30, an integer-valued float, still gets a tolerance),
 *   and the elements of a Float32Array/Float64Array;
 * - elsewhere, a number pair where either one is not an integer.
 * Exact: `data` of a tensor with an integer or BOOL datatype, everything under a
 * key in EXACT_KEYS (class_id, label, shape, datatype, version, ...), and any
 * pair of integers elsewhere.
 */
export const FLOAT32_TOLERANCE = Object.freeze({ rel: 1e-5, abs: 1e-6 });

/** Keys whose numbers are floats wherever they appear. */
export const FLOAT_KEYS: ReadonlySet<string> = new Set(['probability', 'probabilities', 'confidence', 'score', 'scores', 'logit', 'logits']);

/** Keys whose whole subtree is compared exactly, numbers included. */
export const EXACT_KEYS: ReadonlySet<string> = new Set([
  'class_id',
  'class_ids',
  'classes',
  'label',
  'labels',
  'shape',
  'datatype',
  'version',
  'versions',
  'model_version',
]);

const FLOAT_DATATYPES: ReadonlySet<string> = new Set(['FP16', 'FP32', 'FP64', 'BF16', 'float16', 'float32', 'float64']);

export interface CloseToOptions {
  /** Relative tolerance; default FLOAT32_TOLERANCE.rel. */
  rel?: number;
  /** Absolute tolerance; default FLOAT32_TOLERANCE.abs. */
  abs?: number;
  /**
   * Objects in `actual` may have keys `expected` does not list (as toMatchObject):
   * "the answer contains at least what is shown". Arrays keep their exact length.
   */
  subset?: boolean;
}

type Mode = 'auto' | 'float' | 'exact';

interface Context {
  rel: number;
  abs: number;
  subset: boolean;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const childPath = (path: string, key: string | number) =>
  typeof key === 'number' ? `${path}[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;

/** Typed arrays (but not DataView or Buffer's raw bytes as such) are compared as arrays of their elements. */
function asArray(value: unknown): { items: unknown[]; floats: boolean } | undefined {
  if (Array.isArray(value)) return { items: value, floats: false };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const floats = value instanceof Float32Array || value instanceof Float64Array;
    return { items: Array.from(value as unknown as ArrayLike<unknown>), floats };
  }
  return undefined;
}

function compareNumbers(actual: number, expected: number, mode: Mode, path: string, context: Context): string | undefined {
  if (Number.isNaN(actual) && Number.isNaN(expected)) return undefined;
  const float = mode === 'float' || (mode === 'auto' && !(Number.isInteger(actual) && Number.isInteger(expected)));
  if (!float || !Number.isFinite(actual) || !Number.isFinite(expected)) {
    return actual === expected ? undefined : `${path}: expected ${show(expected)}, got ${show(actual)}${float ? '' : ' (compared exactly)'}`;
  }
  const allowed = Math.max(context.abs, context.rel * Math.max(Math.abs(actual), Math.abs(expected)));
  const off = Math.abs(actual - expected);
  if (off <= allowed) return undefined;
  return (
    `${path}: expected ${expected} ± ${allowed.toExponential(2)} (rel ${context.rel.toExponential()}, abs ${context.abs.toExponential()}), ` +
    `got ${actual} (off by ${off.toExponential(2)})`
  );
}

function compare(actual: unknown, expected: unknown, mode: Mode, path: string, context: Context): string | undefined {
  const expectedArray = asArray(expected);
  const actualArray = asArray(actual);
  if (expectedArray || actualArray) {
    if (!expectedArray || !actualArray) return `${path}: expected ${show(expected)}, got ${show(actual)}`;
    if (actualArray.items.length !== expectedArray.items.length) {
      return `${path}: expected an array of length ${expectedArray.items.length}, got length ${actualArray.items.length}`;
    }
    const inner: Mode = mode === 'auto' && (expectedArray.floats || actualArray.floats) ? 'float' : mode;
    for (let i = 0; i < expectedArray.items.length; i++) {
      const mismatch = compare(actualArray.items[i], expectedArray.items[i], inner, childPath(path, i), context);
      if (mismatch) return mismatch;
    }
    return undefined;
  }

  if (typeof expected === 'number' && typeof actual === 'number') return compareNumbers(actual, expected, mode, path, context);

  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return `${path}: expected an object, got ${show(actual)}`;
    const expectedObject = expected as Record<string, unknown>;
    const actualObject = actual as Record<string, unknown>;
    // An Open Inference Protocol tensor: its datatype says whether `data` holds floats.
    const datatype = typeof expectedObject.datatype === 'string' ? expectedObject.datatype : undefined;
    for (const key of Object.keys(expectedObject)) {
      const path_ = childPath(path, key);
      if (!Object.prototype.hasOwnProperty.call(actualObject, key)) {
        if (expectedObject[key] === undefined) continue;
        return `${path_}: expected ${show(expectedObject[key])}, but the key is missing`;
      }
      let inner: Mode = mode;
      if (mode !== 'exact') {
        if (EXACT_KEYS.has(key)) inner = 'exact';
        else if (FLOAT_KEYS.has(key)) inner = 'float';
        else if (key === 'data' && datatype !== undefined) inner = FLOAT_DATATYPES.has(datatype) ? 'float' : 'exact';
      }
      const mismatch = compare(actualObject[key], expectedObject[key], inner, path_, context);
      if (mismatch) return mismatch;
    }
    if (!context.subset) {
      const extra = Object.keys(actualObject).find((key) => !Object.prototype.hasOwnProperty.call(expectedObject, key) && actualObject[key] !== undefined);
      if (extra !== undefined) return `${childPath(path, extra)}: not expected, got ${show(actualObject[extra])}`;
    }
    return undefined;
  }

  if (kind(actual) !== kind(expected)) return `${path}: expected ${show(expected)} (${kind(expected)}), got ${show(actual)} (${kind(actual)})`;
  // Strings, booleans, bigints (INT64 beyond 2^53), null, undefined: exact.
  return actual === expected ? undefined : `${path}: expected ${show(expected)}, got ${show(actual)}`;
}

/**
 * The first difference between a model output and what was expected, as
 * "<path>: what differs" (path from `$`, e.g. `$.predictions[0].top_k[1].label`),
 * or undefined when they match.
 */
export function modelOutputMismatch(actual: unknown, expected: unknown, options: CloseToOptions = {}): string | undefined {
  const context: Context = {
    rel: options.rel ?? FLOAT32_TOLERANCE.rel,
    abs: options.abs ?? FLOAT32_TOLERANCE.abs,
    subset: options.subset ?? false,
  };
  return compare(actual, expected, 'auto', '$', context);
}

/** Throws, naming the path of the first mismatch, unless `actual` matches `expected` as modelOutputMismatch compares them. */
export function assertModelOutput(actual: unknown, expected: unknown, options: CloseToOptions = {}): void {
  const mismatch = modelOutputMismatch(actual, expected, options);
  if (mismatch) throw new Error(`model output differs at ${mismatch}`);
}

/**
 * `expect(actual).toMatchModelOutput(expected, options?)`, registered for every
 * test file by test/support/setup.ts.
 */
export const closeToMatchers = {
  toMatchModelOutput(actual: unknown, expected: unknown, options: CloseToOptions = {}) {
    const mismatch = modelOutputMismatch(actual, expected, options);
    const tolerance = `rel ${(options.rel ?? FLOAT32_TOLERANCE.rel).toExponential()}, abs ${(options.abs ?? FLOAT32_TOLERANCE.abs).toExponential()}`;
    return {
      pass: mismatch === undefined,
      message: () =>
        mismatch === undefined
          ? `expected the model output not to match (floats within ${tolerance}), but it does`
          : `model output differs at ${mismatch}`,
      actual,
      expected,
    };
  },
};

declare module 'vitest' {
  interface Matchers<T = any> {
    /**
     * Model outputs: floats within FLOAT32_TOLERANCE (or the given rel/abs), classes,
     * labels, shapes, datatypes, strings and integer tensors exact; fails naming the
     * path of the first mismatch. See test/support/close-to.ts.
     */
    toMatchModelOutput(expected: unknown, options?: CloseToOptions): T;
  }
}

/** Registers the matcher; setup.ts calls it once per test file. */
export function registerCloseToMatchers(): void {
  expect.extend(closeToMatchers);
}
