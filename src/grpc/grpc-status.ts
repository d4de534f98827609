import { Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import { DomainError, isRetryLater } from '../common/errors/domain-error';

/** How long a refused client should wait: queues are short and models load in seconds (REST's Retry-After: 1). */
export const RETRY_AFTER_MS = 1_000;
/** gRPC's own retry pushback trailer, read by gRPC retry policies; the message says the same for people. */
const RETRY_PUSHBACK_TRAILER = 'grpc-retry-pushback-ms';

export type GrpcError = Partial<ServiceError> & { code: Status; details: string };

/**
 * The gRPC status for an error a handler raised, as REST's error filter
 * chooses the HTTP status: client mistakes are INVALID_ARGUMENT (or NOT_FOUND,
 * RESOURCE_EXHAUSTED), refusals to retry later are UNAVAILABLE with a retry
 * hint, and only faults of the server itself are INTERNAL.
 */
export function toGrpcError(error: unknown): GrpcError {
  if (!(error instanceof DomainError)) return { code: Status.INTERNAL, details: 'internal error' };
  if (isRetryLater(error.code)) {
    const metadata = new Metadata();
    metadata.set(RETRY_PUSHBACK_TRAILER, String(RETRY_AFTER_MS));
    return { code: Status.UNAVAILABLE, details: `${error.message} (retry in ${RETRY_AFTER_MS / 1000} s)`, metadata };
  }
  return { code: statusOf(error.status), details: error.message, ...(error.headers ? { metadata: metadataOf(error.headers) } : {}) };
}

/** A refusal's headers as trailing metadata, under the same (lower-case) names. */
function metadataOf(headers: Readonly<Record<string, string>>): Metadata {
  const metadata = new Metadata();
  for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
  return metadata;
}

function statusOf(httpStatus: number): Status {
  switch (httpStatus) {
    case 404:
      return Status.NOT_FOUND;
    case 413:
      return Status.RESOURCE_EXHAUSTED;
    case 409:
      return Status.FAILED_PRECONDITION;
    case 410:
      // Gone (a version past its sunset): asking again will not help, the client must change what it asks for.
      return Status.FAILED_PRECONDITION;
    case 503:
      // A broken inference engine or an HTTP process of the pod that did not answer: another replica may serve.
      return Status.UNAVAILABLE;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    default:
      return httpStatus < 500 ? Status.INVALID_ARGUMENT : Status.INTERNAL;
  }
}

/**
 * A call's status in HTTP's terms, as google.rpc.Code documents the pairs, for what reads a request's
 * end the same way for both transports (RequestContext.finish: the shadow's runs start after a success).
 */
export function httpStatusOf(code: Status): number {
  return HTTP_STATUS_OF[code] ?? 500;
}

const HTTP_STATUS_OF: Partial<Record<Status, number>> = {
  [Status.OK]: 200,
  [Status.CANCELLED]: 499,
  [Status.INVALID_ARGUMENT]: 400,
  [Status.FAILED_PRECONDITION]: 400,
  [Status.OUT_OF_RANGE]: 400,
  [Status.UNAUTHENTICATED]: 401,
  [Status.PERMISSION_DENIED]: 403,
  [Status.NOT_FOUND]: 404,
  [Status.ALREADY_EXISTS]: 409,
  [Status.ABORTED]: 409,
  [Status.RESOURCE_EXHAUSTED]: 429,
  [Status.UNIMPLEMENTED]: 501,
  [Status.UNAVAILABLE]: 503,
  [Status.DEADLINE_EXCEEDED]: 504,
};

/**
 * gRPC status codes that are the server's fault (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL,
 * UNAVAILABLE, DATA_LOSS): OpenTelemetry's RPC conventions mark a server span with one as an error.
 */
export const GRPC_SERVER_ERROR_CODES: ReadonlySet<number> = new Set([
  Status.UNKNOWN,
  Status.DEADLINE_EXCEEDED,
  Status.UNIMPLEMENTED,
  Status.INTERNAL,
  Status.UNAVAILABLE,
  Status.DATA_LOSS,
]);
