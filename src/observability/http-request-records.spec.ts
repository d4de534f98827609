import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { HttpRequestRecords } from './http-request-records';
import type { MetricsService } from './metrics.service';

function lineFor(statusCode: number, headers: Record<string, string>, requestHeaders: Record<string, string> = {}): Record<string, unknown> {
  const info = vi.fn();
  const logger = { isLevelEnabled: () => true, info } as unknown as Logger;
  const records = new HttpRequestRecords({} as MetricsService, logger);
  const request = { id: 'r1', method: 'POST', url: '/v2/models/iris/infer', routeOptions: { url: '/v2/models/:name/infer' }, params: { name: 'iris' }, headers: requestHeaders };
  records.log(request as unknown as FastifyRequest, statusCode, 1.5, { getHeader: (name: string) => headers[name] });
  return info.mock.calls[0][0] as Record<string, unknown>;
}

describe('the request log line', () => {
  it('gives the outcome model_predictions_total counts: retry-later refusals apart from faults', () => {
    expect(lineFor(200, { 'x-model-version': '2' })).toMatchObject({ model: 'iris', version: 2, outcome: 'success' });
    expect(lineFor(400, { 'x-model-version': '2' })).toMatchObject({ outcome: 'invalid_input' });
    expect(lineFor(503, { 'x-model-version': '2', 'retry-after': '1' })).toMatchObject({ outcome: 'rejected' });
    // An inference worker that could not be replaced (ENGINE_UNAVAILABLE) is a 503 without Retry-After: a fault.
    expect(lineFor(503, { 'x-model-version': '2' })).toMatchObject({ outcome: 'error' });
  });

  it("carries the caller's trace id when its traceparent is valid (tracing off: no span of its own)", () => {
    expect(lineFor(200, {}, { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' })).toMatchObject({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(lineFor(200, {}, { traceparent: 'not-a-traceparent' })).not.toHaveProperty('trace_id');
    expect(lineFor(200, {})).not.toHaveProperty('trace_id');
  });

  it('names no model when no version answered (unknown model, refused before resolution)', () => {
    const line = lineFor(404, {});
    expect(line).not.toHaveProperty('model');
    expect(line).not.toHaveProperty('outcome');
  });
});
