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
# The compiler's incremental state (dist/.tsbuildinfo) is no use at runtime.
RUN npm run build && rm -f dist/.tsbuildinfo

# ---- runtime: production dependencies, compiled code and the bundled models -------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    MODELS_DIR=/app/models
WORKDIR /app
# Only the image's own platform's native binaries are kept, in the same step (a later one would not
# make the image smaller): onnxruntime-node ships every platform's (~240 MB for darwin, win32 and the
# other architecture); npm already installs only this platform's sharp packages, the loop drops any
# other. TARGETOS/TARGETARCH are set by BuildKit and buildah, per platform in a multi-arch build;
# without them the build's own Node says (the stage runs on the target platform). typescript goes
# too: a dev dependency, installed anyway as an optional peer of @nestjs/swagger, whose build-time
# plugin alone uses it.
ARG TARGETOS
ARG TARGETARCH
COPY package.json package-lock.json .npmrc ./
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev \
 && npm cache clean --force \
 && os="${TARGETOS:-$(node -p process.platform)}" && arch="${TARGETARCH:-$(node -p process.arch)}" \
 && case "$os" in windows) os=win32 ;; esac \
 && case "$arch" in amd64) arch=x64 ;; 386) arch=ia32 ;; esac \
 && echo "native binaries kept: $os/$arch (TARGETOS=${TARGETOS:-unset} TARGETARCH=${TARGETARCH:-unset})" \
 && ort=node_modules/onnxruntime-node/bin/napi-v6 \
 && if [ ! -d "$ort/$os/$arch" ] || [ ! -d "node_modules/@img/sharp-$os-$arch" ]; then \
      echo "no onnxruntime-node or sharp binary for $os/$arch" >&2; exit 1; \
    fi \
 && for dir in "$ort"/*/*; do [ "$dir" = "$ort/$os/$arch" ] || rm -rf "$dir"; done \
 && for dir in "$ort"/*; do [ "$dir" = "$ort/$os" ] || rm -rf "$dir"; done \
 && for dir in node_modules/@img/sharp-*; do \
      case "$dir" in */sharp-"$os-$arch" | */sharp-libvips-"$os-$arch") ;; *) rm -rf "$dir" ;; esac; \
    done \
 && rm -rf node_modules/typescript node_modules/.bin/tsc node_modules/.bin/tsserver
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
