import { ROOT_CONTEXT, trace, type TextMapGetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { traceHeadersFor, traceIdOfTraceparent } from './w3c-trace-context';
import { tracingRequested } from './tracing';

const propagator = new W3CTraceContextPropagator();
const getter: TextMapGetter<Record<string, string>> = { get: (carrier, key) => carrier[key], keys: (carrier) => Object.keys(carrier) };

/** The trace id OpenTelemetry's propagator reads from a traceparent (what tracing on uses). */
function propagatorsTraceId(traceparent: string): string | undefined {
  return trace.getSpanContext(propagator.extract(ROOT_CONTEXT, { traceparent }, getter))?.traceId;
}

/** Mostly lower-case hex of about the right length, sometimes with a character the format forbids. */
const hex = (length: number) =>
  fc.string({
    unit: fc.oneof({ arbitrary: fc.constantFrom(...'0123456789abcdef'), weight: 60 }, { arbitrary: fc.constantFrom(...'0AFf-x '), weight: 1 }),
    minLength: length - 1,
    maxLength: length + 1,
  });

describe('traceIdOfTraceparent', () => {
  it('reads the trace id of a valid traceparent', () => {
    expect(traceIdOfTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toBe('0af7651916cd43dd8448eb211c80319c');
    // A later version may add fields after the flags.
    expect(traceIdOfTraceparent('01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00-later')).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it.each([
    ['absent', undefined],
    ['not a string', ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']],
    ['upper-case hex', '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01'],
    ['an all-zero trace id', '00-00000000000000000000000000000000-b7ad6b7169203331-01'],
    ['an all-zero parent id', '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01'],
    ['version ff', 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
    ['version 00 with more fields', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra'],
    ['a short trace id', '00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01'],
    ['two headers joined', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01, 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
  ])('ignores %s', (_case, value) => {
    expect(traceIdOfTraceparent(value)).toBeUndefined();
  });

  it('agrees with OpenTelemetry W3CTraceContextPropagator on near-valid headers', () => {
    const nearlyValid = fc
      .tuple(hex(2), hex(32), hex(16), hex(2), fc.constantFrom('', '-', '-x', ' ', '00'), fc.constantFrom('', ' ', '  '))
      .map(([version, traceId, parentId, flags, tail, lead]) => `${lead}${version}-${traceId}-${parentId}-${flags}${tail}`);
    const zeros = fc.constantFrom('00000000000000000000000000000000', '0af7651916cd43dd8448eb211c80319c').chain((traceId) =>
      fc.constantFrom('0000000000000000', 'b7ad6b7169203331').map((parentId) => `00-${traceId}-${parentId}-01`),
    );
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(nearlyValid, zeros, fc.string()), (value) => {
        const traceId = traceIdOfTraceparent(value);
        expect(traceId).toBe(propagatorsTraceId(value));
        if (traceId !== undefined) accepted++;
      }),
      { numRuns: 5_000 },
    );
    // Both sides of the rule were exercised.
    expect(accepted).toBeGreaterThan(200);
    expect(accepted).toBeLessThan(4_800);
  });
});

describe('tracingRequested', () => {
  it('is on when an OTLP endpoint is set', () => {
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
  });

  it.each([
    ['no endpoint', {}],
    ['an empty endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }],
    ['the SDK disabled', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'TRUE' }],
    ['no trace exporter', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' }],
  ])('is off with %s', (_case, env) => {
    expect(tracingRequested(env)).toBe(false);
  });
});

describe('helpers', () => {
  it('gives no trace headers for an untraced request', () => {
    expect(traceHeadersFor(undefined)).toEqual({});
    expect(traceHeadersFor({ trace: undefined })).toEqual({});
  });
});
