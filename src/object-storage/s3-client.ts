import type { S3Client } from '@aws-sdk/client-s3';

type S3Sdk = typeof import('@aws-sdk/client-s3');

/**
 * The AWS SDK's S3 client package, loaded at its first use: required here, never at the top of a
 * module, so a service reading a local directory does not load it (about 20 MB and 70 ms per process).
 */
export function s3Sdk(): S3Sdk {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@aws-sdk/client-s3') as S3Sdk;
}

/**
 * The region signed into requests when neither AWS_REGION nor a shared config file names one. S3-compatible
 * stores (MinIO, Ceph, R2, GCS) mostly accept any region and expect this one by default; on AWS a bucket in
 * another region answers with a redirect, which followRegionRedirects follows.
 */
export const FALLBACK_REGION = 'us-east-1';

/** A connection that is not established within this is an unreachable endpoint (the SDK waits forever by default). */
const CONNECT_TIMEOUT_MS = 10_000;
/** A request whose socket stays silent this long is dropped (and retried by the SDK). */
const SOCKET_TIMEOUT_MS = 60_000;

/**
 * An S3 client configured by the SDK's own standard settings: credentials from its default chain
 * (environment, shared files, web identity for IRSA and EKS pod identity, container and instance
 * roles), the region from AWS_REGION or the shared config (else FALLBACK_REGION), retries from
 * AWS_MAX_ATTEMPTS / AWS_RETRY_MODE (3 attempts with exponential backoff by default), and the endpoint
 * from AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL. With an endpoint set, buckets are addressed by path
 * (http://endpoint/bucket/key), which every S3-compatible store serves, rather than by host name.

 */
export async function createS3Client(): Promise<S3Client> {
  const { S3Client } = s3Sdk();
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || undefined;
  const probe = new S3Client({});
  const region = await probe.config.region().catch(() => FALLBACK_REGION);
  probe.destroy();
  return new S3Client({
    region,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    followRegionRedirects: true,
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: SOCKET_TIMEOUT_MS },
  });
}

/**
 * An S3 or network failure in words fit for logs and public reasons: the error's name, HTTP status and
 * message. Nothing of the request (its signature, credentials or headers) is ever part of it.
 */
export function describeS3Error(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (error as NodeJS.ErrnoException).code;
  // A connection refused on every address of a name comes as an AggregateError with an empty message.
  const nested = error instanceof AggregateError ? (error.errors[0] as Error | undefined)?.message : undefined;
  const message = error.message || nested || code || 'no message';
  const name = error.name && error.name !== 'Error' ? error.name : code;
  const prefix = [name && !message.includes(name) ? name : undefined, status ? `HTTP ${status}` : undefined].filter(Boolean).join(', ');
  const text = prefix ? `${prefix}: ${message}` : message;
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}
