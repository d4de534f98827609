import { createHash } from 'node:crypto';

/**
 * An object whose bytes are not the ones its listing promised (truncated, corrupt, replaced midway):
 * never loaded, and not worth downloading again at once, unlike a connection that broke.
 */
export class ObjectCheckError extends Error {}

/** The ETag of a single-part upload: the MD5 of the bytes in hex. Multipart ETags end in "-<parts>". */
const PLAIN_MD5_ETAG = /^[0-9a-f]{32}$/i;

/**
 * Checks downloaded bytes against their listing: the size always, the MD5 when the ETag is one (a
 * single-part upload without KMS or customer-key encryption). Throws naming the object and what differs.
 */
export function checkObjectBytes(bytes: Uint8Array, expected: { etag: string; size: number }, shown: string, etagMayBeMd5: boolean): void {
  if (bytes.length !== expected.size) {
    throw new ObjectCheckError(`${shown}: ${bytes.length} bytes arrived, its listing says ${expected.size} (truncated or changed while downloading)`);
  }
  if (!etagMayBeMd5 || !PLAIN_MD5_ETAG.test(expected.etag)) return;
  const md5 = createHash('md5').update(bytes).digest('hex');
  if (md5 !== expected.etag.toLowerCase()) {
    throw new ObjectCheckError(`${shown}: the MD5 of the bytes that arrived (${md5}) differs from its ETag (${expected.etag}): corrupt in the store or on the way`);
  }
}
