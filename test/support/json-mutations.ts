/**
 * Generated request bodies for validation tests: every field of a valid body
 * replaced by wrong types, empty and nested containers and edge numbers;
 * unknown keys and keys named after Object.prototype members added to every
 * object. Validators are compared on these rather than on a handful of examples.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Values put in place of every field in turn; `undefined` removes the field. */
const REPLACEMENTS: (Json | undefined)[] = [
  undefined, null, 0, -1, 1.5, 2 ** 53, '', 'x', 'FP32', true, false, [], {}, [[]], [{}], [null], ['1'], [1.5], [-1],
  { a: [] }, { a: {} }, { a: null },
];

/** Names of Object.prototype members: as JSON keys they are own properties that reflective validators may miss. */
export const PROTOTYPE_MEMBER_KEYS = ['toString', 'constructor', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__', 'prototype'];

const EXTRA_KEYS = ['extra', ...PROTOTYPE_MEMBER_KEYS];

export function clone(value: Json): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

/** Every path to a value inside `value` (objects and arrays), the root excluded. */
function paths(value: Json, at: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((key) => [[...at, key], ...paths((value as Record<string, Json>)[key], [...at, key])]);
}

function containerAt(root: Json, path: (string | number)[]): Record<string | number, Json> {
  return path.reduce<Json>((node, key) => (node as Record<string | number, Json>)[key], root) as Record<string | number, Json>;
}

/** Each valid body, then its mutations; `extraReplacements` are tried at every path too. */
export function* mutationsOf(valid: readonly Json[], extraReplacements: readonly Json[] = []): Generator<Json> {
  for (const body of valid) {
    yield body;
    for (const path of paths(body)) {
      for (const replacement of [...REPLACEMENTS, ...extraReplacements]) {
        const mutated = clone(body);
        const parent = containerAt(mutated, path.slice(0, -1));
        const key = path[path.length - 1];
        if (replacement === undefined) {
          if (Array.isArray(parent)) parent.splice(key as number, 1);
          else delete parent[key];
        } else {
          parent[key] = replacement;
        }
        yield mutated;
      }
    }
    for (const path of [[], ...paths(body)]) {
      const target = path.length === 0 ? body : containerAt(body, path);
      if (target === null || typeof target !== 'object' || Array.isArray(target)) continue;
      for (const extra of EXTRA_KEYS) {
        const mutated = clone(body);
        const object = path.length === 0 ? (mutated as Record<string, Json>) : containerAt(mutated, path);
        // defineProperty: a plain assignment of "__proto__"-like names would not create an own key.
        Object.defineProperty(object, extra, { value: 1, enumerable: true, writable: true, configurable: true });
        yield mutated;
      }
    }
  }
}

/** A key put into a body: into the object numbered `at` (modulo the number of objects, in document order), at any depth. */
export interface KeyInsertion {
  at: number;
  key: string;
  value: Json;
}

/** Every object inside `value` (arrays looked into), the root first when it is one. */
function objectsIn(value: Json): Record<string, Json>[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap(objectsIn);
  return [value, ...Object.values(value).flatMap(objectsIn)];
}

/**
 * A copy of `value` with each key inserted into one of its objects, at whatever depth that object
 * is; with no object in it, the copy as it is. Own keys even for `__proto__` (see mutationsOf).
 */
export function withKeysInserted(value: Json, insertions: readonly KeyInsertion[]): Json {
  const copy = clone(value);
  const objects = objectsIn(copy);
  if (objects.length === 0) return copy;
  for (const { at, key, value: inserted } of insertions) {
    Object.defineProperty(objects[at % objects.length], key, { value: inserted, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}
