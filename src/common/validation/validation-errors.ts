import type { ValidationError } from 'class-validator';

/**
 * Flattens class-validator's error tree into messages that name the field as
 * a client wrote it, e.g. `instances[3].petal_width must be a number`.
 */
export function describeValidationErrors(errors: readonly ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    // class-validator reports an object it cannot validate at all with no property: it is the parent itself.
    if (error.property === undefined) return Object.values(error.constraints ?? {}).map((rule) => `${parent || 'request body'}: ${rule}`);
    const path = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    const own = Object.values(error.constraints ?? {}).map((rule) =>
      rule.startsWith(`${error.property} `) ? `${path}${rule.slice(error.property.length)}` : `${path}: ${rule}`,
    );
    return [...own, ...describeValidationErrors(error.children ?? [], path)];
  });
}
