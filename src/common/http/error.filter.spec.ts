import { type ArgumentsHost, BadRequestException, HttpException, Logger, NotFoundException } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { DomainError, InvalidInputError } from '../errors/domain-error';
import { MAX_ERROR_MESSAGE_CHARS } from '../errors/error-body';
import { ErrorFilter, toErrorBody } from './error.filter';

describe('toErrorBody', () => {
  it("maps a DomainError to its status, code, message and details", () => {
    expect(toErrorBody(new DomainError('MODEL_NOT_FOUND', 'model "x" not found'))).toEqual({
      statusCode: 404,
      code: 'MODEL_NOT_FOUND',
      error: 'Not Found',
      message: 'model "x" not found',
    });
    expect(toErrorBody(new InvalidInputError(['a is required', 'b must be a number']))).toEqual({
      statusCode: 422,
      code: 'INVALID_INPUT',
      error: 'Unprocessable Entity',
      message: 'a is required; b must be a number',
      details: ['a is required', 'b must be a number'],
    });
  });

  it("words Fastify's refusals by what the client should change, with a code from the status", () => {
    const tooLarge = new HttpException('too large', 413, { cause: Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE' }) });
    expect(toErrorBody(tooLarge)).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('BODY_LIMIT_BYTES') });
    expect(toErrorBody(new BadRequestException(['x is wrong', 'y is wrong']))).toMatchObject({ statusCode: 400, code: 'BAD_REQUEST', message: 'x is wrong; y is wrong' });
  });

  it('cuts an unknown URL quoted by a 404 and caps every message', () => {
    const body = toErrorBody(new NotFoundException(`Cannot GET /${'a'.repeat(20_000)}`));
    expect(body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    expect(body.message.length).toBeLessThan(300);
    expect(toErrorBody(new DomainError('BAD_REQUEST', 'x'.repeat(50_000))).message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS + 10);
  });

  it('answers anything else as a 500 that leaks nothing', () => {
    expect(toErrorBody(new TypeError('secret internals at /srv/app.js:1'))).toEqual({
      statusCode: 500,
      code: 'INTERNAL_ERROR',
      error: 'Internal Server Error',
      message: 'internal error while handling the request',
    });
  });
});

describe('ErrorFilter', () => {
  it('logs a fault with the URL its secrets redacted', () => {
    const errors = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const reply = { status: vi.fn(() => reply), header: vi.fn(() => reply), send: vi.fn(() => reply) };
    const request = { method: 'POST', url: '/v1/models/iris/predict?access_token=s3cr3t&top_k=3', headers: {}, routeOptions: { url: '/v1/models/:name/predict' } };
    const host = { switchToHttp: () => ({ getResponse: () => reply, getRequest: () => request }) } as unknown as ArgumentsHost;
    try {
      new ErrorFilter().catch(new TypeError('a bug'), host);
      expect(reply.status).toHaveBeenCalledWith(500);
      expect(errors).toHaveBeenCalledTimes(1);
      expect(String(errors.mock.calls[0][0])).toMatch(/^POST \/v1\/models\/iris\/predict\?access_token=\[REDACTED\]&top_k=3 failed: TypeError: a bug/);
    } finally {
      errors.mockRestore();
    }
  });

  it('names the route\'s own byte limit when a body is over it', () => {
    const tooLarge = Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    const limits = { prefix: '/v1/admin', bytes: 65536, json: { maxDepth: 4, maxContainers: 16, fixedFor: 'the admin API limit' } };
    expect(toErrorBody(tooLarge, 'application/json', limits).message).toBe('request body is larger than 65536 bytes (the admin API limit)');
    expect(toErrorBody(tooLarge, 'application/json').message).toContain('BODY_LIMIT_BYTES');
  });
});
