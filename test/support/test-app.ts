import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll } from 'vitest';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/app-config';
import { GrpcServer } from '../../src/grpc/grpc-server';
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
  const app = await createApp(loadConfig({ LOG_LEVEL: 'silent', GRPC_PORT: '0', ...env }));
  options.beforeInit?.(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  if (options.waitForModels !== false) await app.get(ModelRegistry).whenLoaded();
  return app;
}

/** A free loopback port, for servers the tests start on a given port (GRPC_PORT=0 turns gRPC off). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Serves the app over real HTTP on a free loopback port; returns its base URL and port. */
export async function listenOnLoopback(app: NestFastifyApplication): Promise<{ url: string; port: number }> {
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port };
}

export interface TestAppOptions {
  /** Environment overrides (validated as in production). With MODELS_DIR, that directory is served as it is. */
  env?: Record<string, string>;
  /** Bundled models copied into a throwaway MODELS_DIR, removed with the app; used when env has no MODELS_DIR. */
  models?: string[];
  /** Writes into the throwaway MODELS_DIR before the app starts (models built by the test, broken files). */
  prepare?: (modelsDir: string) => Promise<void>;
  /** Also serve over real HTTP on a free loopback port (for `url` and `port`). */
  listen?: boolean;
  /** Also serve gRPC, on a free loopback port (for `grpcPort`); GRPC_PORT in env wins. */
  grpc?: boolean;
}

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly modelsDir: string;
  /** Base URL and port, when started with `listen`. */
  readonly url: string;
  readonly port: number;
  /** The gRPC port, when started with `grpc`. */
  readonly grpcPort: number;
}

/** Starts the app as the options say; `close` stops it and removes the throwaway MODELS_DIR, whatever failed. */
async function openTestApp(options: TestAppOptions): Promise<TestApp & { close(): Promise<void> }> {
  const ownDir = options.env?.MODELS_DIR === undefined;
  // prepare writes into the models directory: never into one the test does not own (the repository's models/).
  if (!ownDir && (options.models || options.prepare)) throw new Error('test app: `models` and `prepare` need a throwaway MODELS_DIR; drop env.MODELS_DIR');
  const modelsDir = ownDir ? await tempModelsDir(...(options.models ?? [])) : options.env!.MODELS_DIR;
  let app: NestFastifyApplication | undefined;
  const close = async (): Promise<void> => {
    try {
      await app?.close();
    } finally {
      if (ownDir) await removeDir(modelsDir);
    }
  };
  try {
    await options.prepare?.(modelsDir);
    const grpc: Record<string, string> = options.grpc ? { HOST: '127.0.0.1', GRPC_PORT: String(await freePort()) } : {};
    app = await startTestApp({ ...grpc, ...options.env, MODELS_DIR: modelsDir });
    const address = options.listen ? await listenOnLoopback(app) : undefined;
    const started = app;
    return {
      app: started,
      modelsDir,
      get url() {
        if (!address) throw new Error('the test app was not started with listen: true');
        return address.url;
      },
      get port() {
        if (!address) throw new Error('the test app was not started with listen: true');
        return address.port;
      },
      get grpcPort() {
        const port = started.get(GrpcServer).port;
        if (port === undefined) throw new Error('the test app was not started with grpc: true');
        return port;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * One app for the enclosing describe block: started in beforeAll, closed (and its throwaway
 * MODELS_DIR removed) in afterAll. Read `app`, `url`... inside tests and hooks, not at collection
 * time: the app does not exist before beforeAll has run.
 */
export function useTestApp(options: TestAppOptions = {}): TestApp {
  let current: Awaited<ReturnType<typeof openTestApp>> | undefined;
  beforeAll(async () => {
    current = await openTestApp(options);
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  const started = (): TestApp => {
    if (!current) throw new Error('useTestApp: the app is read outside the tests of its describe block, or it failed to start');
    return current;
  };
  return {
    get app() {
      return started().app;
    },
    get modelsDir() {
      return started().modelsDir;
    },
    get url() {
      return started().url;
    },
    get port() {
      return started().port;
    },
    get grpcPort() {
      return started().grpcPort;
    },
  };
}

/** One app for one test: for tests that leave the app unusable (draining, a killed worker) or need settings of their own. */
export async function withTestApp<T>(options: TestAppOptions, use: (started: TestApp) => Promise<T>): Promise<T> {
  const started = await openTestApp(options);
  try {
    return await use(started);
  } finally {
    await started.close();
  }
}
