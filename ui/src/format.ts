/** Formatting shared by the panels; pure, so the test suite runs it in Node. */

/**
 * JSON indented for reading, but with arrays of numbers, strings or booleans on one line: a
 * 28 x 28 image's 784 pixels would otherwise take 784 lines.
 */
export function formatJson(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((item) => item === null || typeof item !== 'object')) return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
    const inner = `${indent}  `;
    return `[\n${value.map((item) => inner + formatJson(item, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{}';
    const inner = `${indent}  `;
    return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${formatJson(item, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A shape with every dynamic dimension (-1) made 1: one instance, one of everything. */
export function concreteShape(shape: readonly number[]): number[] {
  return shape.map((dim) => (dim > 0 ? dim : 1));
}

/** Zeros nested as the shape (a scalar for []). */
export function zeros(shape: readonly number[]): unknown {
  if (shape.length === 0) return 0;
  const [first, ...rest] = shape;
  return Array.from({ length: first }, () => zeros(rest));
}

/** An example value of one element of a datatype (the protocol's names or ONNX's). */
export function exampleElement(datatype: string): unknown {
  const type = datatype.toUpperCase();
  if (type === 'BOOL') return false;
  if (type === 'BYTES' || type === 'STRING') return '';
  return 0;
}

/** A valid Open Inference Protocol request for a model's /v2 metadata: each input with batch 1, zeros (flat). */
export function exampleV2Request(inputs: ReadonlyArray<{ name: string; datatype: string; shape: readonly number[] }>): unknown {
  return {
    inputs: inputs.map((input) => {
      const shape = concreteShape(input.shape);
      const count = shape.reduce((a, b) => a * b, 1);
      return { name: input.name, shape, datatype: input.datatype, data: new Array(count).fill(exampleElement(input.datatype)) };
    }),
  };
}

/** One bar of a classifier's answer. */
export interface RankedClass {
  label: string;
  probability: number;
}

/**
 * The classes of one prediction, best first, as /v1 answers them: image models' `top_k`, or a
 * classifier's `probabilities` by label (the best `limit`). Undefined for other models' answers.
 */
export function rankedClasses(prediction: unknown, limit = 5): RankedClass[] | undefined {
  if (!prediction || typeof prediction !== 'object') return undefined;
  const { top_k: topK, probabilities } = prediction as { top_k?: unknown; probabilities?: unknown };
  if (Array.isArray(topK)) {
    return topK
      .filter((item): item is { label?: unknown; class_id?: unknown; probability: number } => typeof item?.probability === 'number')
      .map((item) => ({ label: String(item.label ?? item.class_id), probability: item.probability }));
  }
  if (probabilities && typeof probabilities === 'object') {
    return Object.entries(probabilities as Record<string, unknown>)
      .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
      .map(([label, probability]) => ({ label, probability }))
      .sort((a, b) => b.probability - a.probability)
      .slice(0, limit);
  }
  return undefined;
}

export function percent(probability: number): string {
  const value = probability * 100;
  if (value >= 99.95 || value === 0) return `${value.toFixed(0)}%`;
  if (value < 0.1) return '<0.1%';
  return `${value.toFixed(1)}%`;
}

/** A number for a table cell or a legend: '–' for none, fewer digits as it grows. */
export function formatNumber(value: number | null | undefined, unit = ''): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  const digits = value === 0 ? 0 : Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit}`;
}

/**
 * An agreement of the shadow with the served answers, for people: the rate and its 95% interval, or
 * why there is none yet. "91.7% (95%: 64.6–98.5%) of 12".
 */
export function agreementText(agreement: { total: number; rate: number | null; interval95: [number, number] | null }): string {
  if (agreement.rate === null || agreement.interval95 === null) return 'nothing compared yet';
  const [lo, hi] = agreement.interval95;
  return `${percentOf(agreement.rate)} (95%: ${percentOf(lo)}–${percentOf(hi)}) of ${agreement.total}`;
}

/** A share with one decimal, never rounded up to 100% or down to 0% unless it is exactly that. */
function percentOf(share: number): string {
  const value = share * 100;
  if (value === 100 || value === 0) return `${value}%`;
  return `${Math.min(99.9, Math.max(0.1, Math.round(value * 10) / 10)).toFixed(1)}%`;
}
