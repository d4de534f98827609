import { DomainError } from '../common/errors/domain-error';

/** Why a request was refused, as auth_refusals_total counts it: a bounded set of labels. */
export const REFUSAL_REASONS = [
  'missing_credential',
  'malformed_credential',
  'unknown_key',
  'invalid_token',
  'expired_token',
  'model_not_allowed',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** The realm of every challenge (RFC 6750): the service, whose credentials are asked for. */
export const AUTH_REALM = 'onnx-model-server';

/**
 * A refusal of a model API call: 401 (gRPC UNAUTHENTICATED) when the credential is missing or
 * cannot be verified, 403 (PERMISSION_DENIED) when a verified caller may not use the model. The
 * message says what was wrong, never what the credential was.
 */
export class AuthRefusal extends DomainError {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(reason === 'model_not_allowed' ? 'FORBIDDEN' : 'UNAUTHORIZED', message);
  }

  /**
   * The WWW-Authenticate header of the answer (RFC 6750 section 3): no error code when no credential
   * came (the client may not have known one was needed), `invalid_token` for one that was refused,
   * `insufficient_scope` for a caller refused a model.
   */
  get challenge(): string {
    const realm = `Bearer realm="${AUTH_REALM}"`;
    if (this.reason === 'missing_credential') return realm;
    const error = this.reason === 'model_not_allowed' ? 'insufficient_scope' : 'invalid_token';
    return `${realm}, error="${error}", error_description="${headerSafe(this.message)}"`;
  }
}

/**
 * RFC 6750 allows only printable ASCII but `"` and `\` in error_description: the message's quotes
 * (around a model name, a kid) become single quotes, and anything else is dropped.
 */
function headerSafe(text: string): string {
  return text.replace(/"/g, "'").replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '').slice(0, 300);
}
