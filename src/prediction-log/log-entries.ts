import { createHash } from 'node:crypto';
import { elementByteSize, toV2DataType, type V2DataType } from '../inference-protocol/datatypes';
import { elementCount, nestedJson, type Tensor, type TensorMap } from '../inference/tensors';
import type { PredictionRecord } from '../serving/prediction-observers';

/** What stands in for a value larger than PREDICTION_LOG_MAX_VALUE_BYTES (an image, an embedding). */
export interface ValueDigest {
  /**
   * SHA-256 (hex) of the value's bytes as the Open Inference Protocol's binary tensor extension
   * carries them: the elements' little-endian bytes, or for BYTES each string as a 4-byte
   * little-endian length and its UTF-8 bytes. A client can compute it from what it sent.
   */
  readonly sha256: string;
  readonly bytes: number;
  readonly datatype: V2DataType;
  readonly shape: number[];
}

/**
 * One instance of one prediction, as the file sink writes it (one JSON line) and the PostgreSQL sink
 * stores it (one row, same names). `inputs` and `outputs` map each tensor name to the instance's
 * value: nested arrays in the tensor's shape without the batch dimension, or a ValueDigest.
 */
export interface LogEntry {
  /** When the prediction started (ISO 8601, UTC). */
  readonly timestamp: string;
  readonly request_id: string | null;
  readonly trace_id: string | null;
  readonly model: string;
  readonly version: number;
  readonly protocol: 'http' | 'grpc';
  /** Who called (the API key's id or the JWT's sub): present only with PREDICT_AUTH on. */
  readonly caller?: string;
  /** 0-based position of the instance in its request. */
  readonly instance: number;
  readonly inputs: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
  /** The whole request's run (queueing and inference), shared by its instances. */
  readonly latency_ms: number;
  /** Present on a shadow version's answer (then `version` is the shadow's): it went to no client. */
  readonly shadow?: true;
  /** With `shadow`: the version that served the request, whose answer the client got. */
  readonly serving_version?: number;
}

/**
 * How a prediction splits into instances: a batch of `rows` when every input and output has `rows`
 * as its first dimension (batchable models), else one instance holding the tensors whole.
 */
export function instanceLayout(record: PredictionRecord): { instances: number; split: boolean } {
  const tensors = [...Object.values(record.inputs), ...Object.values(record.outputs)];
  const split = tensors.length > 0 && tensors.every((tensor) => tensor.dims.length >= 1 && tensor.dims[0] === record.rows);
  return split ? { instances: record.rows, split } : { instances: 1, split };
}

/** The entries of one prediction, one per instance. */
export function logEntries(record: PredictionRecord, maxValueBytes: number): LogEntry[] {
  const { instances, split } = instanceLayout(record);
  const shared = {
    timestamp: new Date(record.startedAt).toISOString(),
    request_id: record.requestId ?? null,
    trace_id: record.traceId ?? null,
    model: record.model,
    version: record.version,
    protocol: record.protocol,
    ...(record.caller !== undefined ? { caller: record.caller } : {}),
  };
  const latency = roundLatency(record.latencyMs);
  const shadow = record.shadowOf !== undefined ? { shadow: true as const, serving_version: record.shadowOf } : {};
  const entries: LogEntry[] = [];
  for (let instance = 0; instance < instances; instance++) {
    entries.push({
      ...shared,
      instance,
      inputs: valuesOf(record.inputs, instance, split, maxValueBytes),
      outputs: valuesOf(record.outputs, instance, split, maxValueBytes),
      latency_ms: latency,
      ...shadow,
    });
  }
  return entries;
}

/**
 * The entries of every record that can be read. A record whose tensors cannot be read (a bug
 * elsewhere: a buffer detached or changed after the answer) is left out and counted, so it cannot
 * fail the batch it came in.
 */
export function readableEntries(
  records: readonly PredictionRecord[],
  maxValueBytes: number,
): { entries: LogEntry[][]; unreadable: number; reason?: string } {
  const entries: LogEntry[][] = [];
  let unreadable = 0;
  let reason: string | undefined;
  for (const record of records) {
    try {
      entries.push(logEntries(record, maxValueBytes));
    } catch (error) {
      unreadable++;
      reason = `a prediction of ${record.model}/${record.version} could not be read: ${(error as Error).message}`;
    }
  }
  return { entries, unreadable, reason };
}

/** Microseconds are plenty; more digits would only be noise in every line. */
export function roundLatency(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function valuesOf(tensors: TensorMap, instance: number, split: boolean, maxValueBytes: number): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, tensor] of Object.entries(tensors)) values[name] = instanceValue(tensor, instance, split, maxValueBytes);
  return values;
}

/**
 * One instance of a tensor (the whole tensor when not `split`) as JSON, or its digest when its
 * bytes exceed `maxValueBytes` (0: never).
 */
export function instanceValue(tensor: Tensor, instance: number, split: boolean, maxValueBytes: number): unknown {
  const shape = split ? tensor.dims.slice(1) : [...tensor.dims];
  const count = elementCount(shape);
  const offset = split ? instance * count : 0;
  if (maxValueBytes > 0) {
    const bytes = byteLength(tensor, offset, count);
    if (bytes > maxValueBytes) return digestOf(tensor, offset, count, shape, bytes);
  }
  return nestedJson(tensor, offset, shape);
}

function byteLength(tensor: Tensor, offset: number, count: number): number {
  const size = elementByteSize(tensor.type);
  if (size !== undefined) return count * size;
  const strings = tensor.data as string[];
  let bytes = 0;
  for (let i = offset; i < offset + count; i++) bytes += 4 + Buffer.byteLength(strings[i] ?? '', 'utf8');
  return bytes;
}

export function digestOf(tensor: Tensor, offset: number, count: number, shape: number[], bytes: number): ValueDigest {
  const hash = createHash('sha256');
  const size = elementByteSize(tensor.type);
  if (size !== undefined) {
    const data = tensor.data as Exclude<Tensor['data'], string[]>;
    hash.update(new Uint8Array(data.buffer, data.byteOffset + offset * size, count * size));
  } else {
    const strings = tensor.data as string[];
    const length = Buffer.alloc(4);
    for (let i = offset; i < offset + count; i++) {
      const utf8 = Buffer.from(strings[i] ?? '', 'utf8');
      length.writeUInt32LE(utf8.length, 0);
      hash.update(length).update(utf8);
    }
  }
  return { sha256: hash.digest('hex'), bytes, datatype: toV2DataType(tensor.type), shape };
}
