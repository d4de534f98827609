import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/app-config';
import { ModelRegistry } from '../../src/model-registry/model-registry.service';

export const REPO_MODELS_DIR = path.resolve(__dirname, '../../models');

/** A throwaway MODELS_DIR, seeded with copies of bundled models. */
export async function tempModelsDir(...bundled: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'models-'));
  for (const name of bundled) await cp(path.join(REPO_MODELS_DIR, name), path.join(dir, name), { recursive: true });
  return dir;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * The real application on Fastify, silent, with every model loaded, ready
 * for `inject`. Environment overrides go through the same validation as in production.
 */
export async function startTestApp(
  env: Record<string, string>,
  options: { waitForModels?: boolean; beforeInit?: (app: NestFastifyApplication) => void } = {},
): Promise<NestFastifyApplication> {
  const app = await createApp(loadConfig({ LOG_LEVEL: 'silent', ...env }));
  options.beforeInit?.(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  if (options.waitForModels !== false) await app.get(ModelRegistry).whenLoaded();
  return app;
}

/** Serves the app over real HTTP on a free loopback port; returns its base URL and port. */
export async function listenOnLoopback(app: NestFastifyApplication): Promise<{ url: string; port: number }> {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port };
}
