/**
 * The one rule for a tensor dimension sent by a client, over /v2 JSON, /v2
 * binary headers and gRPC: an integer from 0 to MAX_DIMENSION. Beyond 2^53 - 1
 * a JavaScript number is no longer exact, so the rule also keeps every later
 * message (shape mismatch, element counts) printing the values the client
 * sent, and never a rounded 4611686018427388000 for 2^62.
 */
export const MAX_DIMENSION = Number.MAX_SAFE_INTEGER;

const RULE = `a dimension must be an integer from 0 to ${MAX_DIMENSION}`;

/**
 * The first dimension of a JSON shape that breaks the rule, as a message, or
 * undefined. JSON.parse has already rounded numbers above 2^53, so those are
 * said to be too large rather than printed.
 */
export function jsonShapeProblem(shape: readonly unknown[]): string | undefined {
  for (let i = 0; i < shape.length; i++) {
    const dimension = shape[i];
    if (typeof dimension !== 'number') return `dimension ${i} is ${JSON.stringify(dimension) ?? String(dimension)}, not a number; ${RULE}`;
    if (dimension > MAX_DIMENSION) {
      return `dimension ${i} is larger than ${MAX_DIMENSION}, the largest integer a JSON number carries exactly here; ${RULE}`;
    }
    if (dimension < -MAX_DIMENSION) return `dimension ${i} is a negative number below -${MAX_DIMENSION}; ${RULE}`;
    if (!Number.isInteger(dimension) || dimension < 0) return `dimension ${i} is ${dimension}; ${RULE}`;
  }
  return undefined;
}

/** The first dimension of a gRPC int64 shape (decimal strings, exact; or Longs) that breaks the rule, printed as sent. */
export function int64ShapeProblem(shape: readonly unknown[]): string | undefined {
  for (let i = 0; i < shape.length; i++) {
    const text = String(shape[i]);
    if (!/^-?[0-9]+$/.test(text) || BigInt(text) < 0n || BigInt(text) > BigInt(MAX_DIMENSION)) return `dimension ${i} is ${text}; ${RULE}`;
  }
  return undefined;
}
