#!/usr/bin/env node
// Verification helper used by train_iris.py / train_digits.py: runs an ONNX model with
// onnxruntime-node (the runtime the service uses) and prints the result as JSON.
//
// stdin:  {"model": "<path>", "input": {"dims": [..], "data": [..float32..]}}
// stdout: {"inputs": [{"name","type","shape"}], "outputs": [{"name","type","shape"}],
//          "result": {"<output name>": {"dims": [..], "data": [..]}}}
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const req = JSON.parse(readFileSync(0, 'utf8'));
const session = await ort.InferenceSession.create(req.model, { graphOptimizationLevel: 'all' });
const describe = (meta) =>
  meta.map((m) => ({ name: m.name, type: m.type, shape: m.shape, isTensor: m.isTensor }));
const feeds = {
  [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(req.input.data), req.input.dims),
};
const res = await session.run(feeds);
const result = {};
for (const [name, t] of Object.entries(res)) result[name] = { dims: t.dims, data: Array.from(t.data) };
process.stdout.write(
  JSON.stringify({
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputs: describe(session.inputMetadata ?? []),
    outputs: describe(session.outputMetadata ?? []),
    result,
  }),
);
