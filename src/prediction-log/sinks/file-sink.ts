import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import type { PredictionRecord } from '../../serving/prediction-observers';
import { readableEntries } from '../log-entries';
import type { LogSink, WriteResult } from '../log-sink';

/**
 * JSON lines, one per instance (LogEntry), appended to one file that rotating-file-stream rotates
 * by size the way logrotate does: <file> -> <file>.1 -> ... -> <file>.<keep>, the oldest removed.
 * Each batch is one write of whole lines and rotation happens between writes, so a line is never
 * split between two files. One process writes one file (see fileOfProcess).
 */
export class FileSink implements LogSink {
  readonly name = 'file';
  readonly batchSize = 256;
  readonly concurrency = 1;
  private stream: RotatingFileStream | undefined;

  constructor(
    private readonly file: string,
    private readonly rotation: { size: string; keep: number },
    private readonly maxValueBytes: number,
  ) {}

  async write(records: readonly PredictionRecord[]): Promise<WriteResult | void> {
    const { entries, unreadable, reason } = readableEntries(records, this.maxValueBytes);
    const result = unreadable > 0 ? { rejected: unreadable, reason } : undefined;
    let text = '';
    for (const entry of entries.flat()) text += `${JSON.stringify(entry)}\n`;
    if (text === '') return result;
    const stream = await this.open();
    await new Promise<void>((resolve, reject) => {
      stream.write(text, (error) => (error ? reject(error) : resolve()));
    }).catch((error: unknown) => {
      // After an error a rotating-file-stream is closed for good: the next attempt opens a new one.
      if (this.stream === stream) this.stream = undefined;
      stream.destroy();
      throw error;
    });
    return result;
  }

  async close(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (!stream || stream.destroyed) return;
    await new Promise<void>((resolve) => {
      stream.once('close', resolve);
      stream.once('error', () => resolve());
      stream.end();
    });
  }

  private async open(): Promise<RotatingFileStream> {
    if (this.stream && !this.stream.destroyed) return this.stream;
    const directory = path.dirname(this.file);
    await mkdir(directory, { recursive: true });
    const base = path.basename(this.file);
    // With `rotate` (logrotate's numbering) the generator gets only the index: 0 for the live file.
    const stream = createStream((index: number | Date) => (index ? `${base}.${String(index)}` : base), {
      path: `${directory}${path.sep}`,
      size: this.rotation.size,
      rotate: this.rotation.keep,
    });
    stream.on('error', () => {
      if (this.stream === stream) this.stream = undefined;
    });
    // Failures of a rotation's housekeeping (not of a write): the writes go on.
    stream.on('warning', () => undefined);
    this.stream = stream;
    return stream;
  }
}
