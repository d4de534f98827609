import { quoted } from './quoted';

/**
 * Errors the service raises on purpose. Services throw these, never HTTP
 * exceptions; the error filter maps each code to a status and a body.
 */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  /** The request is valid but would leave the service in a state it must not be in (e.g. no default version). */
  CONFLICT: 409,
  MODEL_NOT_FOUND: 404,
  VERSION_NOT_AVAILABLE: 404,
  /** The selected version's manifest has no drift reference, so GET /v1/models/{name}/drift has nothing to compare with. */
  NO_DRIFT_REFERENCE: 404,
  /** The model has no shadow version configured, so GET /v1/models/{name}/shadow has nothing to report. */
  NO_SHADOW: 404,
  /** The version is past its sunset and its config says `refuse`: gone for good, unlike a version not READY. */
  VERSION_SUNSET: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_INPUT: 422,
  OVERLOADED: 503,
  /** The model (or the selected version) exists but is still being loaded: retry, it is not missing. */
  MODEL_LOADING: 503,
  ENGINE_UNAVAILABLE: 503,
  /** With several HTTP processes, another one of the pod did not answer (in time) what this one asked it. */
  PROCESS_UNAVAILABLE: 503,
  /** The model repository (a directory, a bucket) cannot be read now: an admin rescan or reload cannot be done. */
  REPOSITORY_UNAVAILABLE: 503,
  /** PREDICT_AUTH=jwt: the identity provider's JWKS could not be fetched, so no token can be verified right now. */
  IDENTITY_PROVIDER_UNAVAILABLE: 503,
  INFERENCE_FAILED: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Expected outcomes rather than faults: answered, never logged with a stack, so none is captured. */
const WITHOUT_STACK: ReadonlySet<ErrorCode> = new Set(
  (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((code) => ERROR_STATUS[code] < 500 || isRetryLater(code)),
);

export class DomainError extends Error {
  readonly code: ErrorCode;
  /** Every problem found, when there is more than one (e.g. each invalid field). */
  readonly details: readonly string[];
  /**
   * Headers the refusal's answer carries (REST), sent as trailing metadata of the same names on gRPC;
   * lower-case names. A retired version's refusal still says it is deprecated, when and where to read why.
   */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(code: ErrorCode, message: string, details: readonly string[] = [message], headers?: Readonly<Record<string, string>>) {
    // Capturing a stack made an error answer cost more than a success; client errors and overload
    // refusals are the answers a hostile or overloaded moment produces by the thousand.
    const stackTraceLimit = Error.stackTraceLimit;
    if (WITHOUT_STACK.has(code)) Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    this.code = code;
    this.details = details;
    this.headers = headers;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export class InvalidInputError extends DomainError {
  constructor(problems: readonly string[]) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? ` (and ${problems.length - shown.length} more)` : '';
    super('INVALID_INPUT', shown.join('; ') + more, shown);
  }
}

/**
 * An unknown model, with the models the message offers instead: kept apart, so that a caller allowed
 * only some models (PREDICT_AUTH) is offered only those (`offering`), never the names of the others.
 */
export class ModelNotFoundError extends DomainError {
  constructor(
    readonly model: string,
    readonly available: readonly string[],
  ) {
    super('MODEL_NOT_FOUND', `model ${quoted(model)} not found; available models: ${available.length ? available.join(', ') : 'none'}`);
  }

  /** The same refusal, offering only the models `visible` lets through. */
  offering(visible: (model: string) => boolean): ModelNotFoundError {
    return new ModelNotFoundError(this.model, this.available.filter(visible));
  }
}

/** Codes that mean "this replica cannot take it right now": answered 503 with Retry-After, not faults. */
export function isRetryLater(code: ErrorCode): boolean {
  return code === 'OVERLOADED' || code === 'MODEL_LOADING' || code === 'IDENTITY_PROVIDER_UNAVAILABLE';
}
