import http from 'node:http';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logLines } from '../support/prediction-log';
import { removeDir, tempModelsDir } from '../support/test-app';
import { send } from './support/load';
import { startServer } from './support/server-process';

/**
 * PREDICTION_LOG=file:... with HTTP_PROCESSES=2, the built service as it runs in a pod: each HTTP
 * process writes and rotates its own file, so no line is ever interleaved with or split by another
 * process's, and SIGTERM writes what is still queued before the processes exit.
 */
describe('prediction log file with several HTTP processes', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await removeDir(dir);
  });

  it('gives each process its own rotated file, every prediction logged once, whole lines only', async () => {
    const modelsDir = await tempModelsDir('iris');
    const logDir = await mkdtemp(path.join(tmpdir(), 'prediction-log-processes-'));
    dirs.push(modelsDir, logDir);
    const server = await startServer({
      HTTP_PROCESSES: '2',
      MODELS_DIR: modelsDir,
      MODEL_POLL_INTERVAL_MS: '0',
      PREDICTION_LOG: `file:${path.join(logDir, 'predictions.jsonl')}?size=4K&keep=1000`,
    });
    // A new connection per request: the cluster hands connections to the processes in turn.
    const agent = new http.Agent({ keepAlive: false });
    const ids = Array.from({ length: 200 }, (_, i) => `processes-${i}`);
    try {
      for (let start = 0; start < ids.length; start += 8) {
        const outcomes = await Promise.all(
          ids.slice(start, start + 8).map((id, i) =>
            send(server.url, {
              method: 'POST',
              path: '/v1/models/iris/predict',
              headers: { 'content-type': 'application/json', 'x-request-id': id },
              body: JSON.stringify({ instances: [[4.5 + ((start + i) % 30) / 10, 3, 1.4, 0.2]] }),
            }, agent),
          ),
        );
        expect(outcomes.map((o) => o.status)).toEqual(outcomes.map(() => 200));
      }
    } finally {
      // SIGTERM: every process drains, writes what it has queued, and exits.
      await server.stop();
      agent.destroy();
    }
    expect(await server.exited).toEqual({ code: 0, signal: null });

    const names = await readdir(logDir);
    expect(names).not.toContain('predictions.jsonl');
    const perProcess = await Promise.all(['predictions-1.jsonl', 'predictions-2.jsonl'].map((file) => logLines(path.join(logDir, file))));
    for (const { files, entries } of perProcess) {
      // Both processes served (and logged) requests, and both rotated their own file.
      expect(entries.length).toBeGreaterThan(0);
      expect(files.length).toBeGreaterThan(1);
    }
    // logLines parsed every line (it throws on a partial one): each prediction is there exactly once.
    const logged = perProcess.flatMap(({ entries }) => entries.map((entry) => entry.request_id as string));
    expect(logged.sort()).toEqual([...ids].sort());
  });
});
