// class-transformer's @Type decorator in app-config.ts needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS } from '../../src/config/app-config';
import { HEALTH_ROUTES } from '../../src/health/health-paths';
import { ROOT, get, read, values } from '../support/chart';

/** The image the chart deploys: its build, its user (the chart's security contexts), port, health check and build context. */

describe('Dockerfile', () => {
  const dockerfile = read(join(ROOT, 'Dockerfile'));
  const dockerignore = read(join(ROOT, '.dockerignore'))
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

  it('builds in a stage with dev dependencies and runs on a pinned Node 24 (LTS) bookworm-slim image', () => {
    // An exact version tag (not a floating "24-bookworm-slim"), on the current LTS line.
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/m);
    expect(dockerfile).toMatch(/^FROM \$\{NODE_IMAGE\} AS runtime$/m);
    const [build, runtime] = dockerfile.split(/^FROM \$\{NODE_IMAGE\} AS runtime$/m);
    // .npmrc (onnxruntime-node-install=skip) is copied before each `npm ci`.
    // ONNXRUNTIME_NODE_INSTALL=skip too, for npm versions that stop passing unknown project config through.
    expect(build).toMatch(/COPY package\.json package-lock\.json \.npmrc \.\/\nRUN ONNXRUNTIME_NODE_INSTALL=skip npm ci\n/);
    expect(build).toContain('RUN npm run build');
    expect(runtime).toMatch(/COPY package\.json package-lock\.json \.npmrc \.\/\nRUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev/);
    expect(runtime).toContain('COPY --from=build /app/dist ./dist');
    // dist/grpc reads ../../proto/open_inference_grpc.proto at start.
    expect(runtime).toMatch(/^COPY proto \.\/proto$/m);
  });

  it('runs as the node user (numeric uid:gid, as runAsNonRoot needs) with the bundled models, the service ports (HTTP and gRPC) and start command', () => {
    const runtime = dockerfile.split(/^FROM \$\{NODE_IMAGE\} AS runtime$/m)[1];
    expect(runtime).toMatch(/^ENV NODE_ENV=production \\\n\s+MODELS_DIR=\/app\/models$/m);
    expect(runtime).toMatch(/^WORKDIR \/app$/m);
    expect(runtime).toMatch(/^COPY models \.\/models$/m);
    expect(runtime).toMatch(/^USER 1000:1000$/m);
    // The chart's security contexts run as the same uid/gid.
    expect(get(values, ['securityContext', 'runAsUser']).value).toBe(1000);
    expect(get(values, ['podSecurityContext', 'runAsGroup']).value).toBe(1000);
    // HTTP and gRPC (the Open Inference Protocol), at the service's default ports.
    expect(runtime).toMatch(new RegExp(`^EXPOSE ${CONFIG_DEFAULTS.PORT} ${CONFIG_DEFAULTS.GRPC_PORT}$`, 'm'));
    expect(runtime).toMatch(/^CMD \["node", "dist\/main\.js"\]$/m);
    const healthcheck = /^HEALTHCHECK [\s\S]*?CMD \[.*\]$/m.exec(runtime)?.[0] ?? '';
    expect(healthcheck).toContain(HEALTH_ROUTES.live);
    expect(healthcheck).toContain(String(CONFIG_DEFAULTS.PORT));
  });

  it('.dockerignore keeps local state and non-runtime folders out, but not the models', () => {
    for (const entry of ['node_modules', 'dist', '.git', 'test', 'bench', 'training', 'helm', 'coverage']) {
      expect(dockerignore).toContain(entry);
    }
    for (const needed of ['models', 'src', '.npmrc', 'package.json', 'package-lock.json']) {
      expect(dockerignore).not.toContain(needed);
    }
  });
});
