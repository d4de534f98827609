import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { DomainError } from '../common/errors/domain-error';
import { EXPOSED_HEADERS } from '../common/http/http-headers';
import { callerDeadlineOf, namedVersionOf, requestedVersionOf, setModelAnswerHeaders } from './request-params';

const requestWith = (headers: Record<string, string | string[]>) => ({ headers }) as unknown as FastifyRequest;

describe('request params', () => {
  it('reads the version a request asks for, by number, label or default with its request key', () => {
    expect(requestedVersionOf(requestWith({ 'x-model-version': '2' }))).toEqual({ kind: 'number', version: 2 });
    expect(requestedVersionOf(requestWith({ 'x-model-version': 'stable' }))).toEqual({ kind: 'label', label: 'stable' });
    expect(requestedVersionOf(requestWith({ 'x-request-key': 'user-7' }))).toEqual({ kind: 'default', requestKey: 'user-7' });
  });

  it('refuses a malformed version header, naming it', () => {
    expect(() => requestedVersionOf(requestWith({ 'x-model-version': '01' }))).toThrow(/X-Model-Version/);
    expect(() => requestedVersionOf(requestWith({ 'x-model-version': ['1', '2'] }))).toThrow(DomainError);
  });

  it('reads the version X-Model-Version names without the request key, which it neither needs nor checks', () => {
    expect(namedVersionOf(requestWith({ 'x-model-version': '2', 'x-request-key': 'user-7' }))).toEqual({ kind: 'number', version: 2 });
    expect(namedVersionOf(requestWith({ 'x-request-key': ['a', 'b'] }))).toEqual({ kind: 'default' });
    expect(() => namedVersionOf(requestWith({ 'x-model-version': 'not a label' }))).toThrow(/X-Model-Version/);
  });

  it("reads the caller's deadline from X-Request-Timeout-Ms, and refuses a malformed one", () => {
    const before = Date.now();
    const deadline = callerDeadlineOf(requestWith({ 'x-request-timeout-ms': '250' }))!;
    expect(deadline).toBeGreaterThanOrEqual(before + 250);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 250);
    expect(callerDeadlineOf(requestWith({}))).toBeUndefined();
    expect(() => callerDeadlineOf(requestWith({ 'x-request-timeout-ms': '-5' }))).toThrow(/X-Request-Timeout-Ms/);
  });

  it('names the version that answered, and the cache verdict only when the model has a cache', () => {
    const header = vi.fn();
    const reply = { header } as unknown as FastifyReply;
    setModelAnswerHeaders(reply, 3, { cache: 'hit' } as never);
    setModelAnswerHeaders(reply, 4, {} as never);
    expect(header.mock.calls).toEqual([
      ['x-model-version', '3'],
      ['x-cache', 'HIT'],
      ['x-model-version', '4'],
    ]);
  });

  it("adds a deprecated version's notice, under header names that are its keys", () => {
    const header = vi.fn();
    const headers = vi.fn();
    const reply = { header, headers } as unknown as FastifyReply;
    const deprecation = { deprecation: '@1780272000', sunset: 'Tue, 01 Jun 2027 00:00:00 GMT', link: '<https://example.com/>; rel="deprecation"' };
    setModelAnswerHeaders(reply, 1, { deprecation } as never);
    setModelAnswerHeaders(reply, 2, {} as never);
    setModelAnswerHeaders(reply, 2);
    expect(header.mock.calls).toEqual([
      ['x-model-version', '1'],
      ['x-model-version', '2'],
      ['x-model-version', '2'],
    ]);
    expect(headers.mock.calls).toEqual([[deprecation]]);
    expect(Object.keys(deprecation).every((name) => EXPOSED_HEADERS.includes(name))).toBe(true);
  });
});
