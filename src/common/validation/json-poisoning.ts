/**
 * Keys a parsed JSON body may hold as own keys but the service refuses
 * anywhere in it: copied onto another object (Object.assign, a class
 * instance), `__proto__` sets that object's prototype, and `constructor`
 * with a `prototype` is the other half of the classic poisoning. Fastify's
 * JSON parser (and the binary codec's) refuse them, but say neither which key
 * nor where; this finds it.
 */
export function poisoningKeyPath(value: unknown): string | undefined {
  return find(value, '');
}

/** The refusal of a body holding such a key, naming it and its path, e.g. `weights.1.__proto__`. */
export function describePoisoningKey(path: string): string {
  const key = path.endsWith('.prototype') ? 'constructor.prototype' : '__proto__';
  return `${path}: the key "${key}" is not allowed anywhere in a request`;
}

function find(value: unknown, at: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = find(value[i], `${at}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const path = at ? `${at}.${key}` : key;
    if (key === '__proto__') return path;
    const child = (value as Record<string, unknown>)[key];
    if (key === 'constructor' && typeof child === 'object' && child !== null && Object.hasOwn(child, 'prototype')) return `${path}.prototype`;
    const found = find(child, path);
    if (found) return found;
  }
  return undefined;
}
