import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { quoted } from '../common/errors/quoted';
import { AppConfig } from '../config/app-config';
import { predictAuthModes, type PredictAuthModes } from '../config/settings/auth-settings';
import { type AuthCounts, type AuthFileState, registerAuthSeries } from '../observability/metrics/auth-series';
import { MetricsService } from '../observability/metrics.service';
import type { RequestContext } from '../request-context/request-context';
import type { ApiKeyStore } from './api-key-store';
import { authSourcesOf } from './auth-sources';
import { AuthRefusal, REFUSAL_REASONS } from './auth-refusal';
import type { Caller } from './caller';
import { credentialOf, type PresentedCredentials } from './credentials';
import { FileJwks, type JwksSource } from './jwks-sources';
import { JwtVerifier } from './jwt-verifier';

/**
 * Who may call which model (PREDICT_AUTH), one answer for REST and gRPC alike: the credential a
 * request presents is verified (an API key against API_KEYS_FILE, a JWT against the identity
 * provider's keys), the caller it stands for named in the request's context, and the model the
 * request is for checked against the caller's models. Off (the default), nothing is asked.
 */
@Injectable()
export class Authenticator implements OnModuleInit, OnModuleDestroy {
  readonly enabled: boolean;
  private readonly modes: PredictAuthModes;
  private readonly keys: ApiKeyStore | undefined;
  private readonly jwks: JwksSource | undefined;
  private readonly jwt: JwtVerifier | undefined;
  private readonly counts: AuthCounts | undefined;
  private readonly logger = new Logger('Auth');

  constructor(
    private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.modes = predictAuthModes(config.PREDICT_AUTH);
    this.enabled = this.modes.keys || this.modes.jwt;
    const sources = authSourcesOf(config, this.logger);
    this.keys = sources.keys;
    this.jwks = sources.jwks;
    this.jwt = this.jwks ? new JwtVerifier(jwtSettingsOf(config), this.jwks) : undefined;
    if (this.enabled) {
      this.counts = registerAuthSeries(metrics.registry, REFUSAL_REASONS, () => this.fileStates(), this.keys && (() => this.keys!.status().keys));
    }
  }

  onModuleInit(): void {
    this.keys?.watch(this.config.AUTH_FILES_POLL_MS);
    this.jwks?.watch(this.config.AUTH_FILES_POLL_MS);
  }

  onModuleDestroy(): void {
    this.keys?.stop();
    this.jwks?.stop();
  }

  /** The caller a request's credential stands for; an AuthRefusal (401) when it has none or a bad one. */
  async authenticate(presented: PresentedCredentials): Promise<Caller> {
    const credential = credentialOf(presented, this.modes);
    if (credential.kind === 'jwt') return this.jwt!.verify(credential.value);
    const caller = this.keys!.find(credential.value);
    if (!caller) throw new AuthRefusal('unknown_key', 'the API key is not known (never issued, mistyped, or revoked)');
    return caller;
  }

  /**
   * The whole check of one request: its caller (authenticated here, or by whoever already awaited
   * `authenticating`), named in its context, and allowed `model` when the request is for one. A
   * refusal is counted in auth_refusals_total and thrown: 401, or 403 naming the model.
   */
  async admit(authenticating: Promise<Caller> | PresentedCredentials, model: string | undefined, context: RequestContext): Promise<Caller> {
    try {
      const caller = await (authenticating instanceof Promise ? authenticating : this.authenticate(authenticating));
      context.caller = caller;
      if (model !== undefined && !caller.mayUse(model)) {
        throw new AuthRefusal('model_not_allowed', `caller ${quoted(caller.id)} may not use model ${quoted(model)}`);
      }
      return caller;
    } catch (error) {
      if (error instanceof AuthRefusal) this.counts?.refused(context.protocol, error.reason);
      throw error;
    }
  }

  /** What /health/ready shows (never judged: a broken file keeps the last good content in force). */
  details(): Record<string, unknown> {
    return {
      mode: this.config.PREDICT_AUTH,
      ...(this.keys ? { api_keys: this.keys.status() } : {}),
      ...(this.jwks ? { jwks: { source: this.config.JWT_JWKS_FILE || this.config.JWT_JWKS_URL, valid: this.jwks.valid } } : {}),
    };
  }

  private fileStates(): AuthFileState[] {
    const states: AuthFileState[] = [];
    if (this.keys) states.push({ file: 'api_keys', valid: this.keys.status().valid });
    if (this.jwks instanceof FileJwks) states.push({ file: 'jwks', valid: this.jwks.valid });
    return states;
  }
}

function jwtSettingsOf(config: AppConfig) {
  return {
    issuer: config.JWT_ISSUER,
    audiences: config.JWT_AUDIENCE.split(',').map((audience) => audience.trim()).filter((audience) => audience !== ''),
    modelsClaim: config.JWT_MODELS_CLAIM,
    clockSkewSeconds: config.JWT_CLOCK_SKEW_S,
  };
}
