import type { RequestCaller } from '../request-context/request-context';

/** In a key's `models` or a token's models claim: every model, present and future. */
export const ALL_MODELS = '*';

/** How a caller proved who it is. */
export type CredentialKind = 'key' | 'jwt';

/**
 * A verified caller: who (the API key's id, or the JWT's `sub`), how, and
 * which models it may use. Made per request for a token, once per key file
 * read for a key.
 */
export class Caller implements RequestCaller {
  private readonly all: boolean;
  private readonly models: ReadonlySet<string>;

  constructor(
    readonly id: string,
    readonly via: CredentialKind,
    models: Iterable<string>,
  ) {
    this.models = new Set(models);
    this.all = this.models.has(ALL_MODELS);
  }

  mayUse(model: string): boolean {
    return this.all || this.models.has(model);
  }
}
