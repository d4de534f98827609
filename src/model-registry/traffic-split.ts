import { createHash } from 'node:crypto';

/**
 * Picks a version for a request that named none, in proportion to the
 * weights of the versions that can serve. With a request key (a user id, a
 * session) the pick is a pure function of model and key, so one user stays on
 * one version while the weights stay the same; without one it is random.
 */
export function pickWeightedVersion(
  model: string,
  weights: Readonly<Record<string, number>>,
  canServe: (version: number) => boolean,
  requestKey: string | undefined,
  random: () => number = Math.random,
): number | undefined {
  // Most models have no split: nothing is allocated for them on every request.
  if (!hasAny(weights)) return undefined;
  const serving = Object.entries(weights)
    .map(([version, weight]) => ({ version: Number(version), weight }))
    .filter((entry) => entry.weight > 0 && canServe(entry.version))
    .sort((a, b) => a.version - b.version);
  // Only proportions matter: scaled to the largest weight, huge weights (1e308 + 1e308) cannot overflow the sum.
  const largest = Math.max(0, ...serving.map((entry) => entry.weight));
  const candidates = serving.map((entry) => ({ version: entry.version, weight: entry.weight / largest }));
  const total = candidates.reduce((sum, entry) => sum + entry.weight, 0);
  if (total === 0) return undefined;
  let point = (requestKey === undefined ? random() : stableFraction(`${model}\u0000${requestKey}`)) * total;
  for (const entry of candidates) {
    if (point < entry.weight) return entry.version;
    point -= entry.weight;
  }
  return candidates.at(-1)!.version;
}

/** A number in [0, 1) derived from the text alone, spread evenly. */
function stableFraction(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32;
}

function hasAny(record: Readonly<Record<string, unknown>>): boolean {
  for (const _ in record) return true;
  return false;
}
