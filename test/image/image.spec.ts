import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, runBrowserTests } from '../support/chromium';
import {
  Container,
  ContainerProcess,
  describeWithImage,
  healthcheckArgv,
  type ImageConfig,
  inspectImage,
  within,
} from '../support/image';
import { freePort } from '../support/test-app';
import { expectedIris, findTritonclient, type InferSummary, runTritonclientChecks } from '../support/tritonclient';
import { binaryBody, float32s, parseInferResponse, rawBytes } from '../support/v2-wire';

/*
 * The image as a user gets it: built from the Dockerfile by .ci/image-build (buildah, on a stand-in
 * of the base image), its contents read from its file system, and its own command run with its own
 * environment (`buildah inspect`) in a container as uid 1000 on 127.0.0.1, then used over HTTP, gRPC
 * and in a browser, health-checked with its HEALTHCHECK and stopped with SIGTERM. How the image is
 * named and why the specs may be skipped: test/support/image.ts.
 */

const FLOWER = [5.1, 3.5, 1.4, 0.2];
const READY_WITHIN_MS = 60_000;

/** The image's environment, NAME=value lines, as an object. */
function envOf(config: ImageConfig): Record<string, string> {
  return Object.fromEntries(config.env.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

/** Every file under dir (relative paths), not descending into node_modules. */
function filesOutsideNodeModules(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : filesOutsideNodeModules(path.join(dir, entry.name), relative);
    return [relative];
  });
}

describeWithImage('the container image', (image) => {
  let config: ImageConfig;
  beforeAll(async () => {
    config = await inspectImage(image);
  });

  describe('what it holds and how it runs', () => {
    let container: Container;
    let app: string;
    beforeAll(async () => {
      container = await Container.create(image);
      app = path.join(await container.mount(), 'app');
    });
    afterAll(async () => {
      await container?.remove();
    });

    it('runs its own command as uid:gid 1000:1000 in /app, in production, with a health check', () => {
      expect(config.user).toBe('1000:1000');
      expect(config.workingDir).toBe('/app');
      expect([...config.entrypoint, ...config.cmd].length).toBeGreaterThan(0);
      expect(envOf(config)).toMatchObject({ NODE_ENV: 'production', MODELS_DIR: '/app/models' });
      expect(config.healthcheck).toBeDefined();
      expect(config.exposedPorts.sort()).toEqual(['3000/tcp', '8001/tcp']);
    });

    it('the server user cannot write under /app (EACCES)', async () => {
      for (const file of ['/app/x', '/app/dist/main.js', '/app/models/iris/config.json']) {
        const outcome = await container.exec(['node', '-e', `require('fs').writeFileSync(${JSON.stringify(file)}, 'y')`]);
        expect(outcome.code, file).not.toBe(0);
        expect(outcome.stderr, file).toContain('EACCES');
      }
    });

    it('holds the compiled server, the playground, the proto files and the models, and no tests, benches, training scripts or TypeScript sources', () => {
      expect(readdirSync(app).sort()).toEqual(['.npmrc', 'dist', 'models', 'node_modules', 'package-lock.json', 'package.json', 'proto', 'ui']);
      expect(readdirSync(path.join(app, 'ui'))).toEqual(['dist']);
      expect(statSync(path.join(app, 'dist', 'main.js')).isFile()).toBe(true);
      const files = filesOutsideNodeModules(app);
      expect(files.filter((file) => /\.[cm]?ts$/.test(file))).toEqual([]);
      expect(files.filter((file) => /(^|\/)(test|tests|__tests__|bench|training|src|coverage)\//.test(file) || /\.(spec|test)\.[cm]?js$/.test(file))).toEqual([]);
      expect(files.filter((file) => /\.(py|ipynb|tsbuildinfo)$/.test(file))).toEqual([]);
    });

    it('holds no dev dependencies, and its production dependencies are whole (npm ls --omit=dev)', async () => {
      const { devDependencies } = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8'));
      const lock: Record<string, { dev?: boolean; devOptional?: boolean }> = JSON.parse(readFileSync(path.join(app, 'package-lock.json'), 'utf8')).packages;
      // A dev dependency may be there only where a production package needs it too (the lockfile then marks it neither dev nor devOptional).
      const devOnly = (location: string) => lock[location]?.dev === true || lock[location]?.devOptional === true;
      const installed = Object.keys(devDependencies).filter((name) => devOnly(`node_modules/${name}`) && existsSync(path.join(app, 'node_modules', name)));
      expect(installed).toEqual([]);
      const devPackages = Object.keys(lock).filter((location) => location && devOnly(location));
      expect(devPackages.length).toBeGreaterThan(100);
      expect(devPackages.filter((location) => existsSync(path.join(app, location)))).toEqual([]);
      for (const name of ['vitest', '@nestjs/cli', '@nestjs/testing', 'typescript', 'esbuild', 'playwright-core', 'dependency-cruiser']) {
        expect(existsSync(path.join(app, 'node_modules', name)), name).toBe(false);
      }
      const ls = await container.exec(['npm', 'ls', '--omit=dev', '--no-update-notifier']);
      expect(ls.code, ls.stdout + ls.stderr).toBe(0);
    });

    it("keeps only its own platform's onnxruntime-node and sharp binaries", () => {
      const napi = path.join(app, 'node_modules/onnxruntime-node/bin/napi-v6');
      expect(readdirSync(napi)).toEqual([config.os]);
      expect(readdirSync(path.join(napi, config.os))).toEqual([config.nodeArch]);
      const sharp = readdirSync(path.join(app, 'node_modules/@img')).filter((name) => name.startsWith('sharp-'));
      expect(sharp.sort()).toEqual([`sharp-${config.os}-${config.nodeArch}`, `sharp-libvips-${config.os}-${config.nodeArch}`].sort());
    });
  });

  describe('its server, started with its own command and environment', { timeout: 120_000 }, () => {
    let container: Container;
    let server: ContainerProcess;
    let env: Record<string, string>;
    let url: string;
    let grpcPort: number;

    /** Why the server did not become ready (its output included), if it did not. */
    let notReady: string | undefined;
    /** The checks below need a ready server; without one each fails saying so (the first check says why). */
    function requireReady(): void {
      if (notReady !== undefined) throw new Error(`the server never became ready: ${notReady.split(';')[0]}`);
    }

    beforeAll(async () => {
      container = await Container.create(image);
      const port = await freePort();
      grpcPort = await freePort();
      url = `http://127.0.0.1:${port}`;
      env = { ...envOf(config), PORT: String(port), GRPC_PORT: String(grpcPort), HOST: '127.0.0.1' };
      const started = Date.now();
      server = new ContainerProcess(container, [...config.entrypoint, ...config.cmd], env);
      while (Date.now() - started < READY_WITHIN_MS) {
        if (!server.running) {
          notReady = `the server exited (${await server.exited}) before it was ready; its output:\n${server.log.slice(-5000)}`;
          return;
        }
        const status = await fetch(`${url}/health/ready`).then((response) => response.status, () => 0);
        if (status === 200) return;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      notReady = `/health/ready did not answer 200 within ${READY_WITHIN_MS} ms; its output:\n${server.log.slice(-5000)}`;
    }, READY_WITHIN_MS + 30_000);

    afterAll(async () => {
      await server?.kill();
      await container?.remove();
    });

    it(`is ready (/health/ready answers 200) within ${READY_WITHIN_MS / 1000} s of its start`, () => {
      if (notReady !== undefined) throw new Error(notReady);
    });

    it('answers a /v1 prediction: setosa', async () => {
      requireReady();
      const response = await fetch(`${url}/v1/models/iris/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: [FLOWER] }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { predictions: { label: string }[] };
      expect(body.predictions.map((p) => p.label)).toEqual(['setosa']);
    });

    it('answers a /v2 inference with binary tensors (the binary_tensor_data extension)', async () => {
      requireReady();
      const input = rawBytes(Float32Array.from(FLOWER));
      const header = {
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], parameters: { binary_data_size: input.length } }],
        outputs: [{ name: 'probabilities', parameters: { binary_data: true } }],
      };
      const { payload, headers } = binaryBody(header, [input]);
      const response = await fetch(`${url}/v2/models/iris/infer`, { method: 'POST', headers, body: new Uint8Array(payload) });
      expect(response.status).toBe(200);
      const parsed = parseInferResponse(Buffer.from(await response.arrayBuffer()), Object.fromEntries(response.headers));
      expect(parsed.header.outputs).toMatchObject([{ name: 'probabilities', datatype: 'FP32', shape: [1, 3] }]);
      expect({ probabilities: float32s(parsed.binary.get('probabilities')!) }).toMatchModelOutput({
        probabilities: (await expectedIris(1, [FLOWER])).flat(),
      });
    });

    it('answers a gRPC ModelInfer from NVIDIA tritonclient.grpc', async () => {
      requireReady();
      const lookup = findTritonclient();
      if (!lookup.found) throw new Error(`tritonclient is needed for this check: ${lookup.reason}`);
      const checks = await runTritonclientChecks(lookup.client, 'grpc_client_checks.py', `127.0.0.1:${grpcPort}`, ['server_ready', 'infer_raw']);
      expect(checks.result('server_ready')).toBe(true);
      const answer = checks.result<InferSummary>('infer_raw');
      expect(answer).toMatchObject({ model_name: 'iris', model_version: '1', raw_output_count: 1 });
      expect({ probabilities: answer.values }).toMatchModelOutput({ probabilities: await expectedIris('1', answer.rows!) });
    });

    it('serves /ui (the playground) and /docs (Swagger UI), and every script and style they load', async () => {
      requireReady();
      for (const [page, marker] of [
        ['/ui', '/ui/playground.js'],
        ['/docs', 'swagger-ui-bundle.js'],
      ]) {
        const response = await fetch(`${url}${page}`);
        expect(response.status, page).toBe(200);
        expect(response.headers.get('content-type'), page).toContain('text/html');
        const html = await response.text();
        expect(html, page).toContain(marker);
        const assets = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"/g)].map((match) => new URL(match[1], `${url}${page}`).href);
        expect(assets.length, page).toBeGreaterThan(1);
        for (const asset of assets) expect((await fetch(asset)).status, asset).toBe(200);
      }
    });

    it.skipIf(!runBrowserTests)('in Chromium: the playground lists the models from the live API, Swagger UI shows the operations', async () => {
      requireReady();
      let browser: Browser | undefined;
      try {
        browser = await launchChromium();
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
        await page.goto(`${url}/ui`);
        const iris = page.locator('article.model-card[data-model="iris"]');
        await expect.poll(() => iris.locator('tbody tr .state').allTextContents(), { timeout: 20_000 }).toEqual(['READY', 'READY']);
        await page.goto(`${url}/docs`);
        await page.locator('#operations-models-PredictController_predict').waitFor({ timeout: 20_000 });
        expect(problems).toEqual([]);
      } finally {
        await browser?.close();
      }
    });

    it("passes its own HEALTHCHECK, run in the container; the check fails where nothing listens", async () => {
      requireReady();
      const argv = healthcheckArgv(config.healthcheck!);
      const healthy = await container.exec(argv, { env, timeoutMs: 30_000 });
      expect(healthy.code, healthy.stderr).toBe(0);
      const nothing = await container.exec(argv, { env: { ...env, PORT: String(await freePort()) }, timeoutMs: 30_000 });
      expect(nothing.code).not.toBe(0);
    });

    // Last: it stops the server.
    it('on SIGTERM to its process, drains (a request in flight is answered) and exits 0', async () => {
      requireReady();
      const pid = await server.pid();
      expect(pid, `no ${config.cmd[0]} process under buildah run:\n${server.log.slice(-3000)}`).toBeDefined();
      // A prediction whose body is half sent when SIGTERM comes, and finished once the server drains.
      const body = JSON.stringify({ instances: [FLOWER] });
      const request = http.request(`${url}/v1/models/iris/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      const answer = new Promise<{ status?: number; text: string }>((resolve, reject) => {
        request.on('response', (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode, text }));
        });
        request.on('error', reject);
      });
      request.write(body.slice(0, 10));
      await new Promise((resolve) => setTimeout(resolve, 500));
      process.kill(pid!, 'SIGTERM');
      await expect.poll(() => /drain/.test(server.log), { timeout: 10_000 }).toBe(true);
      request.end(body.slice(10));
      const { status, text } = await answer;
      expect(status, text).toBe(200);
      expect((JSON.parse(text) as { predictions: { label: string }[] }).predictions[0].label).toBe('setosa');
      const code = await within(server.exited, 30_000, 'still running after 30 s');
      expect(code, server.log.slice(-3000)).toBe(0);
      expect(server.log).toMatch(/SIGTERM/);
      await expect(fetch(`${url}/health/live`)).rejects.toThrow();
    });
  });
});
