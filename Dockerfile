# syntax=docker/dockerfile:1
#
# onnx-model-server image: multi-stage build on Node.js 24 (the current LTS; Node 20 reached end of
# life on 2026-04-30), Debian bookworm slim (glibc, which the prebuilt onnxruntime-node and
# sharp/libvips binaries need; alpine's musl does not fit). The tag is pinned to an exact Node
# version so rebuilds are reproducible; bump it deliberately (or pin a digest: node:<tag>@sha256:...).
#
#   docker build -t onnx-model-server:0.1.0 .
#   docker run --rm -p 3000:3000 -p 8001:8001 --read-only --tmpfs /tmp onnx-model-server:0.1.0

ARG NODE_IMAGE=node:24.22.3-bookworm-slim

# ---- build: all dependencies, compile TypeScript into dist/, bundle the playground -----------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# .npmrc carries onnxruntime-node-install=skip: it must be present before `npm ci`. The variable
# says the same where npm stops passing unknown project config to install scripts.
COPY package.json package-lock.json .npmrc ./
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# The playground page (/ui): esbuild bundles ui/src into ui/dist as part of `npm run build`.
COPY scripts/build-ui.mjs ./scripts/
COPY ui/src ./ui/src
RUN npm run build

# ---- runtime: production dependencies, compiled code and the bundled models -------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    MODELS_DIR=/app/models
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
# The bundled playground, served at /ui from ui/dist (src/ui/ui-assets.ts); only the built files.
COPY --from=build /app/ui/dist ./ui/dist
# The gRPC service definition, read at start (src/grpc/grpc-definitions.ts).
COPY proto ./proto
# Bundled models (models/<name>/<version>/model.onnx). Kubernetes deployments can instead mount
# them from a PVC or fetch them with an init container (see helm/onnx-model-server).
COPY models ./models
# Everything above is owned by root and only readable by the `node` user (uid 1000) the server
# runs as: it writes nothing at runtime, so the root filesystem can be mounted read-only. Numeric,
# so Kubernetes' runAsNonRoot can check it without a securityContext.runAsUser.
USER 1000:1000
# HTTP (PORT) and the Open Inference Protocol over gRPC (GRPC_PORT; 0 turns it off).
EXPOSE 3000 8001
# Kubernetes ignores HEALTHCHECK (the chart uses probes); it serves `docker run` and compose.
# The slim image has no curl, so Node's fetch does the check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
