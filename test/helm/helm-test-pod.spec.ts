import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEALTH_ROUTES } from '../../src/health/health-paths';
import { ROOT, type JsonObject } from '../support/chart';
import { HELM, byKind, envOf, helmTemplate, type Container } from '../support/helm';

/**
 * The Pod `helm test` runs: rendered by helm, then its script run against the real server
 * (dist/main.js, built by the global setup), so a route or answer it checks cannot drift from the service.
 */

describe('helm test', () => {
  it.skipIf(!HELM)('the helm test Pod is a test hook outside the Service selector, and passes against the real server', async () => {
    const manifests = helmTemplate();
    const pod = byKind(manifests, 'Pod');
    expect(pod.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'test' });
    const selector = (byKind(manifests, 'Service').spec as JsonObject).selector as Record<string, string>;
    const labels = pod.metadata.labels as Record<string, string>;
    expect(Object.entries(selector).every(([k, v]) => labels[k] === v), 'the Service would select the test Pod').toBe(false);
    expect(helmTemplate(undefined, ['--set', 'tests.enabled=false']).map((m) => m.kind)).not.toContain('Pod');

    // Run the Pod's script (node -e, as in the server image) against the service built by the global setup.
    const container = ((pod.spec as JsonObject).containers as unknown as (Container & { command: string[]; args: string[] })[])[0];
    expect(container.command).toEqual(['node', '-e']);
    const port = await new Promise<number>((done) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => done(free));
      });
    });
    const server = spawn(process.execPath, [join(ROOT, 'dist', 'main.js')], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), GRPC_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', MODELS_DIR: join(ROOT, 'models'), INFERENCE_WORKERS: '0', MODEL_POLL_INTERVAL_MS: '0' },
      stdio: 'ignore',
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 60_000;
      for (;;) {
        const status = await fetch(base + HEALTH_ROUTES.ready).then((r) => r.status, () => 0);
        if (status === 200) break;
        if (Date.now() > deadline || server.exitCode !== null) throw new Error(`server not ready (last status ${status})`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const runTest = (overrides: Record<string, string>): { status: number | null; stdout: string; stderr: string } => {
        const env = { ...process.env, ...envOf(container), BASE_URL: base, ...overrides } as NodeJS.ProcessEnv;
        const result = spawnSync(process.execPath, ['-e', container.args[0]], { env, encoding: 'utf8', timeout: 30_000 });
        return { status: result.status, stdout: result.stdout, stderr: result.stderr };
      };
      const ok = runTest({});
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(`GET ${HEALTH_ROUTES.ready}: 200`);
      expect(ok.stdout).toContain('POST /v1/models/iris/predict: 200, 1 prediction(s)');
      const missing = runTest({ PREDICT_MODEL: 'no-such-model' });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain('POST /v1/models/no-such-model/predict: 404');
    } finally {
      server.kill('SIGKILL');
    }
  });
});
