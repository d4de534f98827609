import { applyDecorators, type CallHandler, type CanActivate, type ExecutionContext, Injectable, type NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
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

/** Route metadata: a model API route, which PREDICT_AUTH protects. */
const MODEL_API_ROUTE = 'predict-auth:model-api';

/** Whether the handler about to run is a model API route (CallerAuth on it or on its controller). */
function isModelApiRoute(reflector: Reflector, execution: ExecutionContext): boolean {
  return reflector.getAllAndOverride<boolean>(MODEL_API_ROUTE, [execution.getHandler(), execution.getClass()]) === true;
}

/**
 * Admits a REST request to a model API route: its caller authenticated, named in its context, and
 * allowed the model of the route's `:name` (routes without one, the model list, only authenticate).
 * A refusal carries its WWW-Authenticate challenge (RFC 6750) and is answered by the error filter
 * like any other error: 401, or 403 naming the model. Global, and installed only when PREDICT_AUTH
 * is on (auth.module.ts): with it off no request pays for a guard.
 */
@Injectable()
export class CallerGuard implements CanActivate {
  constructor(
    private readonly auth: Authenticator,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    if (!isModelApiRoute(this.reflector, execution)) return true;
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
  constructor(private readonly reflector: Reflector) {}

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!isModelApiRoute(this.reflector, execution)) return next.handle();
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
 * A model API route or controller: with PREDICT_AUTH on, admitted by CallerGuard and its refusals
 * limited to the caller's models; documented with both ways of sending a credential (either will do).
 */
export function CallerAuth() {
  return applyDecorators(
    SetMetadata(MODEL_API_ROUTE, true),
    ApiSecurity(BEARER_SCHEME),
    ApiSecurity(API_KEY_SCHEME),
    ApiUnauthorizedResponse({ description: 'PREDICT_AUTH on: no credential, or one that is not valid (the message and WWW-Authenticate say why)' }),
    ApiForbiddenResponse({ description: 'PREDICT_AUTH on: the caller may not use this model' }),
  );
}
