import { type CanActivate, type ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../common/errors/domain-error';
import { loggableUrl } from '../common/http/loggable-url';
import { AppConfig } from '../config/app-config';

/**
 * The admin API is off (404, as if it did not exist) unless ADMIN_TOKEN is
 * set; then it needs `Authorization: Bearer <ADMIN_TOKEN>`. Tokens are
 * compared as SHA-256 digests in constant time, so neither the content nor the
 * length of the token leaks through response timing. Every refusal is logged,
 * with the URL's secrets redacted (a client may have put the token in the query
 * string) and never the Authorization header.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly logger = new Logger('AdminApi');
  private readonly expected: Buffer | undefined;

  constructor(config: AppConfig) {
    this.expected = config.ADMIN_TOKEN ? digest(config.ADMIN_TOKEN) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!this.expected) {
      this.refuse(request, 'admin API disabled (ADMIN_TOKEN is not set)');
      throw new DomainError('NOT_FOUND', `Cannot ${request.method} ${request.url.split('?')[0]}`);
    }
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (.+)$/i.exec(header);
    if (!match) {
      this.refuse(request, 'no bearer token');
      throw new DomainError('UNAUTHORIZED', 'admin API: send Authorization: Bearer <ADMIN_TOKEN>');
    }
    if (!timingSafeEqual(digest(match[1]), this.expected)) {
      this.refuse(request, 'wrong token');
      throw new DomainError('FORBIDDEN', 'admin API: the bearer token is not valid');
    }
    return true;
  }

  private refuse(request: FastifyRequest, reason: string): void {
    this.logger.warn(
      `Refused admin call ${request.method} ${loggableUrl(request.url)} from ${request.ip} (request ${request.id}): ${reason}`,
    );
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
