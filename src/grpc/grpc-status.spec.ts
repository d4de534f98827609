import { status as Status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { DomainError, InvalidInputError, type ErrorCode } from '../common/errors/domain-error';
import { GRPC_SERVER_ERROR_CODES, toGrpcError } from './grpc-status';

describe('toGrpcError', () => {
  it.each<[ErrorCode, Status]>([
    ['BAD_REQUEST', Status.INVALID_ARGUMENT],
    ['INVALID_INPUT', Status.INVALID_ARGUMENT],
    ['UNSUPPORTED_MEDIA_TYPE', Status.INVALID_ARGUMENT],
    ['MODEL_NOT_FOUND', Status.NOT_FOUND],
    ['VERSION_NOT_AVAILABLE', Status.NOT_FOUND],
    ['PAYLOAD_TOO_LARGE', Status.RESOURCE_EXHAUSTED],
    ['CONFLICT', Status.FAILED_PRECONDITION],
    ['VERSION_SUNSET', Status.FAILED_PRECONDITION],
    ['ENGINE_UNAVAILABLE', Status.UNAVAILABLE],
    ['PROCESS_UNAVAILABLE', Status.UNAVAILABLE],
    ['INFERENCE_FAILED', Status.INTERNAL],
  ])('%s becomes %s, with the message as it is', (code, expected) => {
    const error = toGrpcError(new DomainError(code, 'what went wrong'));
    expect(Status[error.code]).toBe(Status[expected]);
    expect(error.details).toBe('what went wrong');
    expect(error.metadata).toBeUndefined();
  });

  it.each<ErrorCode>(['OVERLOADED', 'MODEL_LOADING'])('%s is UNAVAILABLE with a retry hint for people and for retry policies', (code) => {
    const error = toGrpcError(new DomainError(code, 'queue full'));
    expect(error.code).toBe(Status.UNAVAILABLE);
    expect(error.details).toBe('queue full (retry in 1 s)');
    expect(error.metadata?.get('grpc-retry-pushback-ms')).toEqual(['1000']);
  });

  it("sends a refusal's headers as trailing metadata of the same names", () => {
    const headers = { deprecation: '@1577836800', sunset: 'Wed, 01 Jan 2020 00:00:00 GMT' };
    const error = toGrpcError(new DomainError('VERSION_SUNSET', 'version 1 was retired', undefined, headers));
    expect(error.code).toBe(Status.FAILED_PRECONDITION);
    expect(error.metadata?.getMap()).toEqual(headers);
  });

  it('keeps every problem of an invalid input in the message', () => {
    const error = toGrpcError(new InvalidInputError(['input "a" is wrong', 'input "b" is missing']));
    expect(error).toMatchObject({ code: Status.INVALID_ARGUMENT, details: 'input "a" is wrong; input "b" is missing' });
  });

  it('says nothing of an unexpected error but that it was internal (its stack is logged, not sent)', () => {
    expect(toGrpcError(new TypeError('x is undefined at /app/dist/secret.js:1'))).toEqual({ code: Status.INTERNAL, details: 'internal error' });
  });
});

describe('GRPC_SERVER_ERROR_CODES', () => {
  it('marks only server-side gRPC codes as errors', () => {
    // OK, CANCELLED, INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED are the client's or no error.
    for (const code of [0, 1, 3, 5, 8]) expect(GRPC_SERVER_ERROR_CODES.has(code)).toBe(false);
    for (const code of [2, 4, 12, 13, 14, 15]) expect(GRPC_SERVER_ERROR_CODES.has(code)).toBe(true);
  });
});
