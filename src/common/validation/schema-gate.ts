import Ajv, { type ErrorObject, type Schema, type ValidateFunction } from 'ajv';
import { InvalidInputError } from '../errors/domain-error';

/**
 * One Ajv instance for every gate: schemas compile once, at module load.
 * `allErrors: false` stops at the first problem, so refusing a body costs
 * no more than finding what is wrong with it. strictTypes is off because the
 * limit schemas bound the counts of whatever type a client sent and leave
 * types to the gates; `verbose` keeps the refused value, to say how many.
 */
const ajv = new Ajv({ allErrors: false, strict: true, strictTypes: false, allowUnionTypes: true, verbose: true });

/**
 * A JSON Schema compiled to a predicate, put in front of a class-validator
 * DTO (see `gated`): the schema decides whether a body is valid, in a few
 * property checks instead of class-validator's reflective walk (a fifth of
 * the /v2 path in profiles), and the DTO writes the message of every refusal.
 * Tests prove schema and DTO agree on generated bodies.
 */
export interface SchemaGate {
  /** True when the value is valid: no class-validator run is needed. */
  (value: unknown): boolean;
  /** Why the last value was refused (Ajv's error of the last call). */
  readonly errors?: ErrorObject[] | null;
}

export function compileGate(schema: Schema): SchemaGate {
  return ajv.compile(schema) as ValidateFunction & SchemaGate;
}

/**
 * Bounds on counts (array items, object keys) checked before the reflective
 * validator, whose cost grows with them: a 1 MB body of 350,000 empty inputs
 * must be refused by one length check, not by validating 350,000 objects.
 * Throws a 422 naming the field and the bound.
 */
export function enforceLimits(limits: SchemaGate, value: unknown): void {
  if (limits(value)) return;
  throw new InvalidInputError([describeSchemaError(limits.errors?.[0])]);
}

/** An Ajv error worded like the DTO messages: `inputs[3].shape must NOT have more than 64 items`. */
export function describeSchemaError(error: ErrorObject | undefined): string {
  if (!error) return 'request body is invalid';
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((at, part) => (/^\d+$/.test(part) ? `${at}[${part}]` : at ? `${at}.${part}` : part), '');
  if (error.keyword === 'additionalProperties') {
    const property = String((error.params as { additionalProperty: string }).additionalProperty);
    return `${path ? `${path}.` : ''}${property}: property ${property} should not exist`;
  }
  const count = countOf(error);
  return `${path || 'request body'} ${error.message ?? 'is invalid'}${count === undefined ? '' : `, got ${count}`}`;
}

/** How many items or keys a value refused by a count keyword had. */
function countOf(error: ErrorObject): number | undefined {
  const data: unknown = error.data;
  if ((error.keyword === 'maxItems' || error.keyword === 'minItems') && Array.isArray(data)) return data.length;
  if ((error.keyword === 'maxProperties' || error.keyword === 'minProperties') && typeof data === 'object' && data !== null) {
    return Object.keys(data).length;
  }
  return undefined;
}
