import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../inference/tensors';
import type { PredictionRecord } from '../serving/prediction-observers';
import { instanceLayout, instanceValue, logEntries, readableEntries } from './log-entries';
import { columnsOf, insertSql } from './sinks/postgres-sink';

const float32 = (dims: number[], values: number[]): Tensor => ({ type: 'float32', dims, data: Float32Array.from(values) });

function record(overrides: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    model: 'iris',
    version: 2,
    protocol: 'http',
    requestId: 'req-7',
    startedAt: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
    latencyMs: 1.23456789,
    rows: 2,
    inputs: { input: float32([2, 4], [5.1, 3.5, 1.4, 0.2, 6.7, 3, 5.2, 2.3]) },
    outputs: {
      label: { type: 'int64', dims: [2], data: BigInt64Array.from([0n, 2n]) },
      probabilities: float32([2, 3], [0.5, 0.25, 0.25, 0, 0.5, 0.5]),
    },
    ...overrides,
  };
}

describe('logEntries: one entry per instance', () => {
  it('splits the batch by its first dimension, with the request fields on every entry', () => {
    const entries = logEntries(record(), 4096);
    expect(entries).toEqual([
      {
        timestamp: '2026-01-02T03:04:05.678Z',
        request_id: 'req-7',
        trace_id: null,
        model: 'iris',
        version: 2,
        protocol: 'http',
        instance: 0,
        inputs: { input: [5.099999904632568, 3.5, 1.399999976158142, 0.20000000298023224] },
        outputs: { label: 0, probabilities: [0.5, 0.25, 0.25] },
        latency_ms: 1.235,
      },
      expect.objectContaining({
        instance: 1,
        inputs: { input: [6.699999809265137, 3, 5.199999809265137, 2.299999952316284] },
        outputs: { label: 2, probabilities: [0, 0.5, 0.5] },
      }),
    ]);
  });

  it('carries the trace id and the protocol as given', () => {
    const [entry] = logEntries(record({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', protocol: 'grpc' }), 4096);
    expect(entry).toMatchObject({ trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', protocol: 'grpc' });
  });

  it('keeps a prediction whole (one entry) when some tensor has no batch dimension of `rows`', () => {
    const unbatched = record({ rows: 2, outputs: { score: float32([1], [0.5]) } });
    expect(instanceLayout(unbatched)).toEqual({ instances: 1, split: false });
    const [entry, ...rest] = logEntries(unbatched, 4096);
    expect(rest).toEqual([]);
    expect(entry.inputs.input).toEqual([
      [5.099999904632568, 3.5, 1.399999976158142, 0.20000000298023224],
      [6.699999809265137, 3, 5.199999809265137, 2.299999952316284],
    ]);
    expect(entry.outputs.score).toEqual([0.5]);
  });

  it('writes bool, float16, 64-bit and string tensors as JSON values', () => {
    const entries = logEntries(
      record({
        rows: 1,
        inputs: { text: { type: 'string', dims: [1, 2], data: ['a', 'é'] }, flag: { type: 'bool', dims: [1], data: Uint8Array.from([1]) } },
        outputs: {
          half: { type: 'float16', dims: [1], data: Uint16Array.from([0x3c00]) },
          big: { type: 'uint64', dims: [1], data: BigUint64Array.from([2n ** 60n]) },
        },
      }),
      4096,
    );
    expect(entries[0].inputs).toEqual({ text: ['a', 'é'], flag: true });
    expect(entries[0].outputs).toEqual({ half: 1, big: '1152921504606846976' });
  });
});

describe('large values: a digest in place of the value', () => {
  const image = (rows: number) => {
    const data = new Float32Array(rows * 28 * 28).map((_, i) => (i % 255) / 255);
    return { type: 'float32', dims: [rows, 1, 28, 28], data } as Tensor;
  };

  it('replaces an instance over the limit by the sha256 of its little-endian bytes, its size, datatype and shape', () => {
    const tensor = image(2);
    const value = instanceValue(tensor, 1, true, 3000);
    const bytes = Buffer.from((tensor.data as Float32Array).buffer, 784 * 4, 784 * 4);
    expect(value).toEqual({ sha256: createHash('sha256').update(bytes).digest('hex'), bytes: 3136, datatype: 'FP32', shape: [1, 28, 28] });
  });

  it('keeps a value of exactly the limit, and every value when the limit is 0', () => {
    expect(Array.isArray(instanceValue(image(1), 0, true, 3136))).toBe(true);
    expect(Array.isArray(instanceValue(image(1), 0, true, 0))).toBe(true);
  });

  it('digests strings as the binary extension carries BYTES: a 4-byte little-endian length, then the UTF-8 bytes', () => {
    const long = 'x'.repeat(100);
    const tensor: Tensor = { type: 'string', dims: [1, 2], data: [long, 'é'] };
    const expected = createHash('sha256')
      .update(Buffer.from([100, 0, 0, 0]))
      .update(long)
      .update(Buffer.from([2, 0, 0, 0]))
      .update(Buffer.from('é', 'utf8'))
      .digest('hex');
    expect(instanceValue(tensor, 0, true, 64)).toEqual({ sha256: expected, bytes: 110, datatype: 'BYTES', shape: [2] });
  });

  it('gives equal instances equal digests, whatever their place in the batch', () => {
    const data = new Uint8Array(2 * 5000).map((_, i) => i % 5000 % 251);
    const tensor: Tensor = { type: 'uint8', dims: [2, 5000], data };
    expect(instanceValue(tensor, 0, true, 4096)).toEqual(instanceValue(tensor, 1, true, 4096));
  });
});

describe("logEntries of a shadow version's answer", () => {
  it('marks every entry as the shadow of the version that served, after the usual fields', () => {
    const entries = logEntries(record({ shadowOf: 1 }), 4096);
    expect(entries.map((entry) => [entry.version, entry.shadow, entry.serving_version])).toEqual([
      [2, true, 1],
      [2, true, 1],
    ]);
    expect(Object.keys(entries[0]).slice(-3)).toEqual(['latency_ms', 'shadow', 'serving_version']);
    expect(logEntries(record(), 4096)[0]).not.toHaveProperty('shadow');
  });
});

describe('insertSql', () => {
  it('adds the caller and the shadow columns when asked, one array parameter per column', () => {
    expect(insertSql(false, false)).toContain('latency_ms)\nSELECT * FROM unnest($1::timestamptz[], $2::text[]');
    expect(insertSql(false, false)).toContain('$10::float8[])');
    expect(insertSql(true, true)).toContain('latency_ms, caller, shadow, serving_version)');
    expect(insertSql(true, true)).toContain('$10::float8[], $11::text[], $12::boolean[], $13::integer[])');
    expect(insertSql(false, true)).toContain('$11::boolean[], $12::integer[])');
  });
});

describe('columnsOf: entries as the INSERT column arrays', () => {
  it('puts each field in its column, inputs and outputs as JSON text', () => {
    const columns = columnsOf(logEntries(record(), 4096));
    expect(columns).toHaveLength(10);
    expect(columns[0]).toEqual(['2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05.678Z']);
    expect(columns.slice(1, 7)).toEqual([['req-7', 'req-7'], [null, null], ['iris', 'iris'], [2, 2], ['http', 'http'], [0, 1]]);
    expect(JSON.parse(columns[8][1] as string)).toEqual({ label: 2, probabilities: [0, 0.5, 0.5] });
    expect(columns[9]).toEqual([1.235, 1.235]);
  });
});

describe('readableEntries', () => {
  it('leaves out (and counts) a prediction whose tensors cannot be read, keeping the others of its batch', () => {
    // A buffer detached after the answer (moved to another thread) reads as empty.
    const broken = record({ rows: 1, inputs: { image: { type: 'float32', dims: [1, 784], data: new Float32Array(0) } }, outputs: {} });
    const good = record();
    const { entries, unreadable, reason } = readableEntries([good, broken, good], 1024);
    expect(entries.map((e) => e.length)).toEqual([2, 2]);
    expect(unreadable).toBe(1);
    expect(reason).toContain('a prediction of iris/2 could not be read');
  });
});
