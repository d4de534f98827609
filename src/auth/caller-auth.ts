import {
  applyDecorators,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catchError, type Observable, throwError } from 'rxjs';
import { ModelNotFoundError } from '../common/errors/domain-error';
import { AuthRefusal } from './auth-refusal';
import { Authenticator } from './authenticator';
import { authenticationOf } from './http-credentials';

/** The security schemes of the OpenAPI document (swagger.ts), one per way of sending a credential. */
export const BEARER_SCHEME = 'api_key_or_jwt';
export const API_KEY_SCHEME = 'x_api_key';

/**
 * Admits a REST request to a model API when PREDICT_AUTH is on: its caller authenticated, named in
 * its context, and allowed the model of the route's `:name` (routes without one, the model list,
 * only authenticate). A refusal carries its WWW-Authenticate challenge (RFC 6750) and is answered
 * by the error filter like any other error: 401, or 403 naming the model.
 */
@Injectable()
export class CallerGuard implements CanActivate {
  constructor(private readonly auth: Authenticator) {}

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    if (!this.auth.enabled) return true;
    const http = execution.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const model = (request.params as { name?: unknown } | undefined)?.name;
    try {
      await this.auth.admit(authenticationOf(this.auth, request), typeof model === 'string' ? model : undefined, request.requestContext);
    } catch (error) {
      if (error instanceof AuthRefusal) void http.getResponse<FastifyReply>().header('www-authenticate', error.challenge);
      throw error;
    }
    return true;
  }
}

/**
 * An unknown model's 404 offers the models that exist ("available models: ..."): to a caller
 * allowed only some, it offers only those, so no name of another team's model leaks.
 */
@Injectable()
export class ModelsInViewInterceptor implements NestInterceptor {
  constructor(private readonly auth: Authenticator) {}

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.auth.enabled) return next.handle();
    const context = execution.switchToHttp().getRequest<FastifyRequest>().requestContext;
    return next.handle().pipe(
      catchError((error: unknown) => {
        const caller = context.caller;
        return throwError(() => (caller && error instanceof ModelNotFoundError ? error.offering((model) => caller.mayUse(model)) : error));
      }),
    );
  }
}

/**
 * A model API route or controller: admitted by CallerGuard, its refusals limited to the caller's
 * models, and documented with both ways of sending a credential (either will do).
 */
export function CallerAuth() {
  return applyDecorators(
    UseGuards(CallerGuard),
    UseInterceptors(ModelsInViewInterceptor),
    ApiSecurity(BEARER_SCHEME),
    ApiSecurity(API_KEY_SCHEME),
    ApiUnauthorizedResponse({ description: 'PREDICT_AUTH on: no credential, or one that is not valid (the message and WWW-Authenticate say why)' }),
    ApiForbiddenResponse({ description: 'PREDICT_AUTH on: the caller may not use this model' }),
  );
}
