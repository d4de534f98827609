import type { Logger } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { RequestContext } from '../request-context/request-context';
import { HttpRequestRecords } from './http-request-records';
import type { MetricsService } from './metrics.service';

function lineOf(context: RequestContext, statusCode = 200): Record<string, unknown> {
  const info = vi.fn();
  const logger = { isLevelEnabled: () => true, info } as unknown as Logger;
  new HttpRequestRecords({} as MetricsService, logger).log(context, statusCode, 1.5);
  return info.mock.calls[0][0] as Record<string, unknown>;
}

const contextOf = (url = '/v2/models/iris/infer') => new RequestContext('r1', 'http', 'POST', '/v2/models/:name/infer', url, () => false);

describe('the request log line', () => {
  it('is read from the request context: the handler, the version that answered, the outcome and the timings', () => {
    const context = contextOf();
    context.handler = 'InferenceProtocolController.infer';
    context.resolved('iris', 2);
    context.outcome = 'rejected';
    context.cache = 'miss';
    context.batched({ enqueuedAt: 10, startedAt: 10.25, finishedAt: 10.5, rows: 1, batchRows: 3, batchRequests: 2 });
    expect(lineOf(context, 503)).toEqual({
      request_id: 'r1',
      method: 'POST',
      route: '/v2/models/:name/infer',
      url: '/v2/models/iris/infer',
      status_code: 503,
      duration_ms: 1.5,
      handler: 'InferenceProtocolController.infer',
      model: 'iris',
      version: 2,
      outcome: 'rejected',
      cache: 'miss',
      queue_ms: 0.25,
      inference_ms: 0.25,
    });
  });

  it('says when the version that answered is deprecated, so its callers can be found', () => {
    const context = contextOf();
    context.resolved('iris', 1, { deprecation: '@1796083200' });
    expect(lineOf(context)).toMatchObject({ model: 'iris', version: 1, deprecated: true });
    const current = contextOf();
    current.resolved('iris', 2);
    expect(lineOf(current)).not.toHaveProperty('deprecated');
  });

  it("carries the request's trace id when it has one", () => {
    const context = contextOf();
    context.traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    expect(lineOf(context)).toMatchObject({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(lineOf(contextOf())).not.toHaveProperty('trace_id');
  });

  it('names no model when no version answered (unknown model, refused before resolution), and no outcome unless it ran', () => {
    const line = lineOf(contextOf(), 404);
    expect(line).not.toHaveProperty('model');
    expect(line).not.toHaveProperty('outcome');
    const metadata = contextOf('/v2/models/iris');
    metadata.resolved('iris', 1);
    expect(lineOf(metadata)).toMatchObject({ model: 'iris', version: 1 });
    expect(lineOf(metadata)).not.toHaveProperty('outcome');
  });

  it('hides query values a client may have put a secret in', () => {
    expect(lineOf(contextOf('/v1/models/iris/predict?top_k=3&token=s3cret')).url).toBe('/v1/models/iris/predict?top_k=3&token=[REDACTED]');
  });
});
