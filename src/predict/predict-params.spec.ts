import type { FastifyRequest } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { InvalidInputError } from '../common/errors/domain-error';
import { predictInputOf, requestedTopKOf } from './predict-params';

const jsonRequest = (body: unknown) => ({ body, isMultipart: () => false }) as unknown as FastifyRequest;

describe('predict params', () => {
  it('reads ?top_k converted to a number, and nothing from an absent or empty query', () => {
    expect(requestedTopKOf({ top_k: '3' })).toBe(3);
    expect(requestedTopKOf({})).toBeUndefined();
    expect(requestedTopKOf(undefined)).toBeUndefined();
    expect(requestedTopKOf(null)).toBeUndefined();
  });

  it('refuses a bad ?top_k or an unknown query key, naming it', () => {
    expect(() => requestedTopKOf({ top_k: '0' })).toThrow(InvalidInputError);
    expect(() => requestedTopKOf({ top_k: 'x' })).toThrow(/top_k/);
    expect(() => requestedTopKOf({ toString: '1' })).toThrow(/toString: property toString should not exist/);
  });

  it("takes a JSON body's instances as they are, without copying them", () => {
    const instances = [[5.1, 3.5, 1.4, 0.2]];
    expect(predictInputOf(jsonRequest({ instances }))).toBe(instances);
  });

  it('refuses a JSON body without instances, a missing body as an empty object', () => {
    expect(() => predictInputOf(jsonRequest({ instances: [] }))).toThrow(InvalidInputError);
    expect(() => predictInputOf(jsonRequest(undefined))).toThrow(/instances/);
    expect(() => predictInputOf(jsonRequest({ instances: [[1]], extra: 1 }))).toThrow(/extra/);
  });

  it('leaves the files of a multipart body unread until the uploads are asked for', async () => {
    const parts = vi.fn(async function* () {
      yield { type: 'file', fieldname: 'image', filename: 'a.png', toBuffer: async () => Buffer.from('png') };
    });
    const request = { isMultipart: () => true, parts } as unknown as FastifyRequest;
    const input = predictInputOf(request);
    expect(typeof input).toBe('function');
    expect(parts).not.toHaveBeenCalled();
    const read = await (input as (maxTotalBytes: number) => Promise<unknown>)(1024);
    expect(read).toEqual([{ filename: 'a.png', data: Buffer.from('png') }]);
  });
});
