/**
 * Bounds on a JSON text checked before JSON.parse, in one pass over its
 * characters (a few ms per megabyte):
 * - depth: JSON.parse recurses, so 100,000 '[' would exhaust the stack;
 * - containers (arrays and objects): JSON.parse builds every one of them, so
 *   a 1 MB body of 350,000 empty objects costs 100+ ms of event loop (and
 *   more in garbage collection) before any validator can refuse it;
 * - keys, where a body is a handful of maps (the admin API's config): each
 *   key costs the validators and the registry work of its own.
 */
export interface JsonLimits {
  readonly maxDepth: number;
  readonly maxContainers: number;
  /** Most object keys in the whole body; unbounded when absent (tensor bodies are bounded by their containers). */
  readonly maxKeys?: number;
  /** For limits fixed in code, whose they are, named in refusals instead of the MAX_JSON_* settings. */
  readonly fixedFor?: string;
}

/** What is over a limit, as the end of a sentence starting with the body's name; undefined when within them. */
export function jsonLimitExceeded(text: string, limits: JsonLimits): string | undefined {
  switch (firstLimitReached(text, limits)) {
    case 'depth':
      return `is nested deeper than ${limits.maxDepth} levels (${limits.fixedFor ?? 'MAX_JSON_DEPTH'})`;
    case 'containers':
      return limits.fixedFor
        ? `has more than ${limits.maxContainers} arrays and objects (${limits.fixedFor})`
        : `has more than ${limits.maxContainers} arrays and objects (MAX_JSON_CONTAINERS); send tensors flat, or binary`;
    case 'keys':
      return `has more than ${limits.maxKeys} object keys (${limits.fixedFor ?? 'MAX_JSON_KEYS'})`;
    default:
      return undefined;
  }
}

/**
 * Whether a JSON text nests arrays and objects deeper than `maxDepth`. For
 * files the service reads itself (the model repository): JSON.parse copes with
 * any depth, but the validators that walk the parsed value recurse, and
 * 100,000 '[' would end as "Maximum call stack size exceeded" with no file named.
 */
export function jsonNestedDeeperThan(text: string, maxDepth: number): boolean {
  return firstLimitReached(text, { maxDepth, maxContainers: Number.POSITIVE_INFINITY }) === 'depth';
}

function firstLimitReached(text: string, limits: JsonLimits): 'depth' | 'containers' | 'keys' | undefined {
  const maxKeys = limits.maxKeys ?? Number.POSITIVE_INFINITY;
  let depth = 0;
  let containers = 0;
  let keys = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c) i++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x5b || char === 0x7b) {
      if (++depth > limits.maxDepth) return 'depth';
      if (++containers > limits.maxContainers) return 'containers';
    } else if (char === 0x5d || char === 0x7d) {
      depth--;
    } else if (char === 0x3a && ++keys > maxKeys) {
      // Outside strings a colon ends a key: one per object member.
      return 'keys';
    }
  }
  return undefined;
}
