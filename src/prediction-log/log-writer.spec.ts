import { describe, expect, it, vi } from 'vitest';
import type { PredictionRecord } from '../serving/prediction-observers';
import type { LogSink, WriteResult } from './log-sink';
import { type DropReason, LogWriter, type WriterOptions } from './log-writer';

const record = (n: number, bytes = 16): PredictionRecord => ({
  model: 'm',
  version: 1,
  protocol: 'http',
  requestId: `r${n}`,
  startedAt: 0,
  latencyMs: 1,
  rows: 1,
  inputs: { x: { type: 'uint8', dims: [1, bytes], data: new Uint8Array(bytes) } },
  outputs: {},
});

/** A sink whose writes the test answers one by one (or at once with `autoAnswer`). */
class FakeSink implements LogSink {
  readonly name = 'file';
  written: string[] = [];
  calls = 0;
  closed = false;
  pending: { records: readonly PredictionRecord[]; resolve: (r?: WriteResult) => void; reject: (e: Error) => void }[] = [];
  constructor(
    readonly batchSize = 4,
    readonly concurrency = 1,
    private readonly answer?: (call: number, records: readonly PredictionRecord[]) => WriteResult | Error | void,
  ) {}

  write(records: readonly PredictionRecord[]): Promise<WriteResult | void> {
    this.calls++;
    if (this.answer) {
      const outcome = this.answer(this.calls, records);
      if (outcome instanceof Error) return Promise.reject(outcome);
      this.written.push(...records.map((r) => r.requestId!));
      return Promise.resolve(outcome);
    }
    return new Promise((resolve, reject) => this.pending.push({ records, resolve, reject }));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const call of this.pending.splice(0)) call.reject(new Error('closed'));
  }
}

function writerFor(sink: LogSink, options: Partial<WriterOptions> = {}) {
  const dropped: Partial<Record<DropReason, number>> = {};
  let written = 0;
  const states: string[] = [];
  const writer = new LogWriter(sink, {
    queueSize: 100,
    queueBytes: 1_000_000,
    flushIntervalMs: 5,
    attempts: 3,
    backoff: { baseMs: 1, maxMs: 4 },
    onWritten: (n) => (written += n),
    onDropped: (reason, n) => (dropped[reason] = (dropped[reason] ?? 0) + n),
    onStateChange: (state) => states.push(state),
    ...options,
  });
  return { writer, dropped, states, written: () => written };
}

describe('LogWriter', () => {
  it('writes every offered record once, in order, in batches of the sink size (a partial batch after the flush interval)', async () => {
    const sink = new FakeSink(4, 1, () => undefined);
    const { writer, written } = writerFor(sink);
    for (let i = 0; i < 10; i++) expect(writer.offer(record(i))).toBe(true);
    await vi.waitFor(() => expect(written()).toBe(10));
    expect(sink.written).toEqual(Array.from({ length: 10 }, (_, i) => `r${i}`));
    expect(writer.status()).toMatchObject({ state: 'ok', queued: 0, written: 10, dropped: 0 });
    await writer.close(1000);
    expect(sink.closed).toBe(true);
    expect(writer.status().state).toBe('stopped');
  });

  it('drops what does not fit the queue at once (queue_full), without waiting for the sink', () => {
    const sink = new FakeSink(1000); // never answers
    const { writer, dropped } = writerFor(sink, { queueSize: 3 });
    const accepted = Array.from({ length: 10 }, (_, i) => writer.offer(record(i)));
    expect(accepted).toEqual([true, true, true, false, false, false, false, false, false, false]);
    expect(dropped).toEqual({ queue_full: 7 });
    expect(writer.status()).toMatchObject({ queued: 3, dropped: 7 });
  });

  it('counts the records being written against the queue bound: what it holds never exceeds queueSize', async () => {
    const sink = new FakeSink(2, 2); // two lanes, both hang
    const { writer, dropped } = writerFor(sink, { queueSize: 5, flushIntervalMs: 1 });
    for (let i = 0; i < 5; i++) writer.offer(record(i));
    await vi.waitFor(() => expect(sink.pending.length).toBe(2));
    const accepted = Array.from({ length: 10 }, (_, i) => writer.offer(record(5 + i)));
    expect(accepted.filter(Boolean)).toEqual([]);
    expect(dropped).toEqual({ queue_full: 10 });
    expect(writer.status()).toMatchObject({ queued: 5, dropped: 10 });
    // Once a write lands its room is free again.
    sink.pending.shift()!.resolve();
    await vi.waitFor(() => expect(writer.status().queued).toBe(3));
    expect([writer.offer(record(20)), writer.offer(record(21)), writer.offer(record(22))]).toEqual([true, true, false]);
    await writer.close(20);
  });

  it('bounds the bytes of tensors held by waiting records too', () => {
    const { writer, dropped } = writerFor(new FakeSink(1000), { queueBytes: 100 });
    expect([writer.offer(record(1, 60)), writer.offer(record(2, 60)), writer.offer(record(3, 30))]).toEqual([true, false, true]);
    expect(dropped).toEqual({ queue_full: 1 });
  });

  it('retries a failing write with backoff and recovers, reporting failing then ok', async () => {
    const sink = new FakeSink(4, 1, (call) => (call <= 2 ? Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED' }) : undefined));
    const { writer, written, states, dropped } = writerFor(sink);
    writer.offer(record(1));
    await vi.waitFor(() => expect(written()).toBe(1));
    expect(sink.calls).toBe(3);
    expect(states).toEqual(['failing', 'ok']);
    expect(dropped).toEqual({});
    expect(writer.status()).toMatchObject({ state: 'ok', last_error: 'ECONNREFUSED: connect refused' });
    await writer.close(1000);
  });

  it('gives a batch up after the bounded attempts (sink_error) and goes on with the next', async () => {
    const sink = new FakeSink(2, 1, (call) => (call <= 3 ? new Error('down') : undefined));
    const { writer, written, dropped } = writerFor(sink);
    writer.offer(record(1));
    writer.offer(record(2));
    await vi.waitFor(() => expect(dropped).toEqual({ sink_error: 2 }));
    writer.offer(record(3));
    await vi.waitFor(() => expect(written()).toBe(1));
    expect(writer.status()).toMatchObject({ state: 'ok', written: 1, dropped: 2, last_error: 'down' });
    await writer.close(1000);
  });

  it('counts records the sink refused for good as rejected, the rest as written', async () => {
    const sink = new FakeSink(3, 1, () => ({ rejected: 1, reason: 'bad record' }));
    const { writer, written, dropped } = writerFor(sink);
    for (let i = 0; i < 3; i++) writer.offer(record(i));
    await vi.waitFor(() => expect(written()).toBe(2));
    expect(dropped).toEqual({ rejected: 1 });
    expect(writer.status().last_error).toBe('bad record');
    await writer.close(1000);
  });

  it('writes what is queued on close when the sink keeps up', async () => {
    const sink = new FakeSink(100, 1, () => undefined);
    const { writer, written } = writerFor(sink, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 5; i++) writer.offer(record(i));
    expect(written()).toBe(0);
    await writer.close(5_000);
    expect(written()).toBe(5);
    expect(writer.offer(record(9))).toBe(false);
  });

  it('on close with a sink that never answers: gives up after the budget, aborts the write in flight and counts everything left as shutdown', async () => {
    const sink = new FakeSink(2, 2); // two lanes, both hang
    const { writer, dropped, written } = writerFor(sink, { flushIntervalMs: 1 });
    for (let i = 0; i < 7; i++) writer.offer(record(i));
    await vi.waitFor(() => expect(sink.pending.length).toBe(2));
    await writer.close(20);
    expect(sink.closed).toBe(true);
    expect(written()).toBe(0);
    expect(dropped).toEqual({ shutdown: 7 });
    expect(writer.status()).toMatchObject({ state: 'stopped', queued: 0, dropped: 7 });
  });

  it('runs up to `concurrency` writes at the same time', async () => {
    const sink = new FakeSink(1, 3);
    const { writer } = writerFor(sink);
    for (let i = 0; i < 5; i++) writer.offer(record(i));
    await vi.waitFor(() => expect(sink.pending.length).toBe(3));
    expect(writer.status().queued).toBe(5);
    for (const call of sink.pending.splice(0)) call.resolve();
    await vi.waitFor(() => expect(sink.pending.length).toBe(2));
    for (const call of sink.pending.splice(0)) call.resolve();
    await vi.waitFor(() => expect(writer.status()).toMatchObject({ written: 5, queued: 0 }));
    await writer.close(1000);
  });
});
