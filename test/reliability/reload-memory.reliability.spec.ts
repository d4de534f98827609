import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, tempModelsDir } from '../support/test-app';
import { startServer, type ServerProcess } from './support/server-process';

const TOKEN = 'reload-memory-token-0123456789';
const WARM_UP_CYCLES = 50;
const CYCLES = 500;

/**
 * onnxruntime-node users have reported memory that is never given back when
 * sessions are created and released again and again. Hot reload and the
 * admin API do exactly that, so: 500 unload/load cycles of one version (each
 * load creates sessions in both workers, times the model, and for iris a
 * session on the event loop), and resident memory must end within 10% of
 * where it was after a warm-up of 50 cycles.
 */
describe('memory across reloads', () => {
  let server: ServerProcess;
  let modelsDir: string;

  beforeAll(async () => {
    modelsDir = await tempModelsDir('iris');
    server = await startServer({ MODELS_DIR: modelsDir, ADMIN_TOKEN: TOKEN, MODEL_POLL_INTERVAL_MS: '0' });
  });
  afterAll(async () => {
    await server?.stop();
    await removeDir(modelsDir);
  });

  async function cycle(): Promise<void> {
    for (const action of ['unload', 'load']) {
      const response = await fetch(`${server.url}/v1/admin/models/iris/versions/2/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(response.status, await response.text()).toBe(200);
    }
  }

  it(`${CYCLES} unload/load cycles end with resident memory within 10% of where it started after warm-up`, async () => {
    for (let i = 0; i < WARM_UP_CYCLES; i++) await cycle();
    const start = server.rssBytes();
    for (let i = 0; i < CYCLES; i++) await cycle();
    const end = server.rssBytes();
    console.log(`RSS after ${WARM_UP_CYCLES} warm-up cycles: ${(start / 2 ** 20).toFixed(1)} MB; after ${CYCLES} more: ${(end / 2 ** 20).toFixed(1)} MB (${(((end - start) / start) * 100).toFixed(1)}%)`);
    expect(end).toBeLessThan(start * 1.1);
    const predict = await fetch(`${server.url}/v1/models/iris/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-model-version': '2' },
      body: '{"instances":[[5.1,3.5,1.4,0.2]]}',
    });
    expect(predict.status).toBe(200);
  });
});
