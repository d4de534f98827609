/**
 * The HTTP headers the service defines or reads beyond the standard ones, in
 * one place, lower case as Node presents them.
 */

/** Picks the version (a number or a label) on /v1 and on /v2 routes without a version in the path; echoed in every model answer. */
export const MODEL_VERSION_HEADER = 'x-model-version';
/** Keeps one caller on one version of a canary split (a user or session id). */
export const REQUEST_KEY_HEADER = 'x-request-key';
/** Kept from the caller when plain, else generated; on every response. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** How long (ms) a caller still wants its answer; queued work past it is dropped with a 503. */
export const REQUEST_TIMEOUT_HEADER = 'x-request-timeout-ms';
/** The Open Inference Protocol's binary extension: a JSON header of this many bytes, then raw tensor bytes. */
export const INFERENCE_HEADER_LENGTH = 'inference-header-content-length';
export const RETRY_AFTER_HEADER = 'retry-after';
/** On answers of models with a response cache: HIT when the answer came from it, else MISS. */
export const CACHE_HEADER = 'x-cache';
/**
 * On every answer of a deprecated version (and its 410 after the sunset), as gRPC trailing metadata too:
 * RFC 9745 Deprecation (`@<unix seconds>`), RFC 8594 Sunset (an HTTP-date) and the RFC 8288 Link to read.
 */
export const DEPRECATION_HEADER = 'deprecation';
export const SUNSET_HEADER = 'sunset';
export const LINK_HEADER = 'link';

/** What browsers may read from responses when CORS is on. */
export const EXPOSED_HEADERS = [
  MODEL_VERSION_HEADER,
  REQUEST_ID_HEADER,
  INFERENCE_HEADER_LENGTH,
  RETRY_AFTER_HEADER,
  CACHE_HEADER,
  DEPRECATION_HEADER,
  SUNSET_HEADER,
  LINK_HEADER,
];
