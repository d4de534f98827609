// The Open Inference Protocol's gRPC messages for the bench, from the
// service's own proto/open_inference_grpc.proto: the ModelInfer request
// serialized once, answers decoded and checked. Shared by the gRPC load
// generator (grpc-load.mjs, its own process) and the bench's probes
// (grpc-cell.mjs); light on purpose: @grpc/grpc-js and @grpc/proto-loader only.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
export const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

export const PROTO_FILE = path.resolve(import.meta.dirname, '..', 'proto', 'open_inference_grpc.proto');
export const SERVICE_NAME = 'inference.GRPCInferenceService';
/** The full method path grpc-js sends: a generic client needs no generated stub. */
export const MODEL_INFER = `/${SERVICE_NAME}/ModelInfer`;

let definition;
function modelInfer() {
  // The service's own loader options (src/grpc/grpc-definitions.ts), so both sides read the message alike.
  definition ??= protoLoader.loadSync(PROTO_FILE, { keepCase: true, longs: String, enums: String, defaults: true, arrays: true, oneofs: true })[SERVICE_NAME];
  return definition.ModelInfer;
}

/** A ModelInferRequest (plain object, .proto field names) as the bytes on the wire. */
export const serializeRequest = (message) => modelInfer().requestSerialize(message);

/** A ModelInferResponse's bytes as a plain object (raw_output_contents as Buffers). */
export const decodeResponse = (bytes) => modelInfer().responseDeserialize(bytes);

/** grpc status code -> name (14 -> "UNAVAILABLE"). */
export const statusName = (code) => Object.entries(grpc.status).find(([, value]) => value === code)?.[0] ?? `CODE_${code}`;

/**
 * The answer is right when the first output's raw FP32 contents hold `rows`
 * rows, each with its largest value at index `expected`: the same rule as the
 * /v2 JSON check in scenarios.mjs.
 */
export function rowsArgmaxOk(response, rows, expected) {
  const raw = response?.raw_output_contents?.[0];
  if (!raw || raw.length === 0 || raw.length % (4 * rows) !== 0) return false;
  const width = raw.length / 4 / rows;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let i = 1; i < width; i++) if (raw.readFloatLE((r * width + i) * 4) > raw.readFloatLE((r * width + best) * 4)) best = i;
    if (best !== expected) return false;
  }
  return true;
}
