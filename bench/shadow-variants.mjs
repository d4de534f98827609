// Shadow versions for A/B runs (compare.mjs): a variant `{"shadow": 0.1}` serves the bundled models
// with iris version 2 shadowing iris version 1 at that sample (`"shadow_queue": 64` sets the queue),
// from a copy of models/ in a temp dir removed when the bench exits; `{}` is the same repository
// without a shadow. After the cells, shadowOutcomes reads what became of the sampled requests
// (compared, dropped...), so a cell that looks cheap because its shadow dropped everything shows.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './service.mjs';

/** The variant with its `shadow` and `shadow_queue` keys made into a MODELS_DIR; others pass as they are. */
export function shadowSetup({ shadow, shadow_queue: queueSize, ...variant }) {
  if (shadow === undefined) return variant;
  if (typeof shadow !== 'number' || !(shadow >= 0 && shadow <= 1)) throw new Error(`variant "shadow" must be a sample from 0 to 1, not ${JSON.stringify(shadow)}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'onnx-bench-shadow-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  cpSync(path.join(ROOT, 'models'), dir, { recursive: true });
  const file = path.join(dir, 'iris', 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...config, shadow: { version: 2, sample: shadow, ...(queueSize !== undefined ? { queue_size: queueSize } : {}) } }));
  return { ...variant, MODELS_DIR: dir };
}

/** model_shadow_requests_total of a running service by outcome (every model), or undefined without any. */
export async function shadowOutcomes(url) {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const outcomes = {};
  for (const line of text.split('\n')) {
    const match = /^model_shadow_requests_total\{.*outcome="([a-z_]+)".*\} (\S+)$/.exec(line);
    if (match) outcomes[match[1]] = (outcomes[match[1]] ?? 0) + Number(match[2]);
  }
  return Object.keys(outcomes).length > 0 ? outcomes : undefined;
}
