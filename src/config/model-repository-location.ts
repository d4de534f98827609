/** Where the model repository is: MODEL_REPOSITORY (or MODELS_DIR, its older name) parsed. */
export type ModelRepositoryLocation = LocalRepository | S3Repository;

export interface LocalRepository {
  readonly kind: 'local';
  readonly path: string;
}

export interface S3Repository {
  readonly kind: 's3';
  readonly bucket: string;
  /** The key prefix the layout starts under: '' (the bucket's root) or ending in '/'. */
  readonly prefix: string;
  /** `s3://bucket/prefix`, as logs and reasons name the repository. */
  readonly uri: string;
}

/**
 * S3's own rule (3 to 63 lower-case letters, digits, dots and hyphens), with upper case and underscores
 * let through: older buckets and some S3-compatible stores have them.
 */
const BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$/;

/**
 * Reads a repository location: `s3://bucket[/prefix]` for S3 and S3-compatible stores, anything else
 * without a scheme is a local directory. Throws an Error that says what is wrong; the configuration
 * runs it at start, so a bad value stops the pod with its reason.
 */
export function parseModelRepository(value: string): ModelRepositoryLocation {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1];
  if (scheme === undefined) {
    if (value.trim() === '') throw new Error('must be a directory or s3://bucket/prefix');
    return { kind: 'local', path: value };
  }
  if (scheme !== 's3') {
    throw new Error(
      `must be a directory or s3://bucket/prefix (${scheme}:// is not read; S3-compatible stores such as MinIO, R2 or ` +
        'GCS are reached with s3:// and AWS_ENDPOINT_URL_S3)',
    );
  }
  const rest = value.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  if (!BUCKET.test(bucket)) throw new Error(`s3:// needs a bucket name of 3 to 63 letters, digits, ".", "-" or "_", got "${bucket}"`);
  const path = slash === -1 ? '' : rest.slice(slash + 1).replace(/\/+$/, '');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]|\/\/|(^|\/)\.\.?(\/|$)/.test(path)) {
    throw new Error('the prefix of s3:// must be key segments separated by single "/", without "." or ".." segments or control characters');
  }
  return { kind: 's3', bucket, prefix: path === '' ? '' : `${path}/`, uri: `s3://${bucket}${path === '' ? '' : `/${path}`}` };
}

/**
 * The repository the service reads: MODEL_REPOSITORY when set, else MODELS_DIR. MODEL_REPOSITORY wins
 * rather than both being refused because the image sets MODELS_DIR for its bundled models: a pod given
 * only MODEL_REPOSITORY=s3://... must start (the module logs which one it ignores).
 */
export function modelRepositoryOf(config: { MODEL_REPOSITORY: string; MODELS_DIR: string }): ModelRepositoryLocation {
  return parseModelRepository(config.MODEL_REPOSITORY || config.MODELS_DIR);
}
