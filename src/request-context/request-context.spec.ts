import { BadRequestException, InternalServerErrorException } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { DomainError, InvalidInputError } from '../common/errors/domain-error';
import { outcomeOf, RequestContext, type RequestRecorder } from './request-context';

describe('outcomeOf: the one outcome rule of every protocol', () => {
  it('is a success without an error', () => {
    expect(outcomeOf()).toBe('success');
    expect(outcomeOf(undefined)).toBe('success');
  });

  it("counts the client's mistakes as invalid input", () => {
    expect(outcomeOf(new DomainError('BAD_REQUEST', 'x'))).toBe('invalid_input');
    expect(outcomeOf(new DomainError('MODEL_NOT_FOUND', 'x'))).toBe('invalid_input');
    expect(outcomeOf(new DomainError('PAYLOAD_TOO_LARGE', 'x'))).toBe('invalid_input');
    expect(outcomeOf(new InvalidInputError(['instance 0 has 3 features, expected 4']))).toBe('invalid_input');
    expect(outcomeOf(new BadRequestException('x'))).toBe('invalid_input');
  });

  it('counts refusals to retry later apart from faults: queue full, deadline passed, client gone, model loading', () => {
    expect(outcomeOf(new DomainError('OVERLOADED', 'the request deadline passed'))).toBe('rejected');
    expect(outcomeOf(new DomainError('MODEL_LOADING', 'x'))).toBe('rejected');
  });

  it("counts everything else as the service's fault", () => {
    // An inference worker that could not be replaced is a 503 without Retry-After: a fault, not a refusal.
    expect(outcomeOf(new DomainError('ENGINE_UNAVAILABLE', 'x'))).toBe('error');
    expect(outcomeOf(new DomainError('INFERENCE_FAILED', 'x'))).toBe('error');
    expect(outcomeOf(new InternalServerErrorException())).toBe('error');
    expect(outcomeOf(new TypeError('a bug'))).toBe('error');
    expect(outcomeOf('a thrown string')).toBe('error');
  });
});

describe('RequestContext', () => {
  const context = () => new RequestContext('r1', 'http', 'POST', '/v1/models/:name/predict', '/v1/models/iris/predict', () => false);

  it('hands the answer to each recorder that registered, once the response has gone out', () => {
    const ctx = context();
    const first: RequestRecorder = { record: vi.fn() };
    const second: RequestRecorder = { record: vi.fn() };
    expect(ctx.recorded).toBe(false);
    ctx.recordBy(first);
    ctx.recordBy(second);
    expect(ctx.recorded).toBe(true);
    ctx.finish(200, 3.5);
    expect(first.record).toHaveBeenCalledWith(ctx, 200, 3.5);
    expect(second.record).toHaveBeenCalledWith(ctx, 200, 3.5);
  });

  it('keeps the queue wait and the inference time the batcher reports, and passes them to the trace', () => {
    const ctx = context();
    const batched = vi.fn();
    ctx.trace = { served: vi.fn(), batched, headers: () => ({}) };
    const run = { enqueuedAt: 100, startedAt: 101.5, finishedAt: 104, rows: 1, batchRows: 8, batchRequests: 8 };
    ctx.batched(run);
    expect([ctx.queueMs, ctx.inferenceMs]).toEqual([1.5, 2.5]);
    expect(batched).toHaveBeenCalledWith(run);
  });

  it('has no inference time for a request dropped from the queue', () => {
    const ctx = context();
    ctx.batched({ enqueuedAt: 100, startedAt: 130, rows: 1, batchRows: 0, batchRequests: 0, error: 'the request deadline passed' });
    expect([ctx.queueMs, ctx.inferenceMs]).toEqual([30, undefined]);
  });
});
