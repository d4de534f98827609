/**
 * Which predictions are logged at PREDICTION_LOG_SAMPLE = `rate` (0 to 1). The decision is a
 * function of the request id (a hash of it, read as a number in [0, 1), below `rate`), not of a
 * random draw: the same request is logged or not in every process and on every retry with the same
 * X-Request-Id, and which requests are logged can be reproduced. Server-made request ids are random
 * UUIDs, so the logged share matches the rate. A caller that sets its own X-Request-Id therefore
 * decides for its requests (a caller sending one fixed id gets all or none logged): sampling is for
 * volume; 1 logs every prediction. A prediction without a request id is drawn at random.
 */
export function sampler(rate: number, random: () => number = Math.random): (requestId: string | undefined) => boolean {
  if (rate >= 1) return () => true;
  if (rate <= 0) return () => false;
  return (requestId) => (requestId === undefined ? random() : unitHash(requestId)) < rate;
}

/**
 * A 32-bit FNV-1a hash of the string's UTF-16 units, finished with MurmurHash3's avalanche step
 * (FNV alone leaves ids that differ in their last character close together), scaled to [0, 1).
 */
export function unitHash(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 2 ** 32;
}
