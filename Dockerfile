# syntax=docker/dockerfile:1
# The FlashMM daemon image (docs/deploy.md). Build: `docker build -t flashmm:0.1.0 .`
# Run it with a read-only root filesystem: `docker run --read-only --tmpfs /tmp -p 8080:8080 \
#   -e FLASHMM_API__HOST=0.0.0.0 flashmm:0.1.0`. Configuration comes from the baked config/ (the
# simulated venue by default) or a mounted directory named by FLASHMM_CONFIG_DIR, plus FLASHMM_*
# variables; secrets only from the environment (FLASHMM_MNEMONIC, FLASHMM_KEYSTORE_PASSWORD, ...)
# and mounted files (FLASHMM_KEYSTORE_PATH). Nothing secret is baked in (.dockerignore).

# ---- build: Node 20 + the Rust toolchain; `npm ci` builds the addon (release) and the TypeScript
FROM node:20-bookworm AS build
# Rust from the official image (same Debian release, so the addon links against the same glibc).
COPY --from=rust:1.95-bookworm /usr/local/rustup /usr/local/rustup
COPY --from=rust:1.95-bookworm /usr/local/cargo /usr/local/cargo
ENV RUSTUP_HOME=/usr/local/rustup \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:$PATH \
    ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
# Only what the build reads (the rest of the repository stays out of the image).
COPY package.json package-lock.json Cargo.toml Cargo.lock tsconfig.json tsconfig.build.json ./
COPY crates ./crates
COPY src ./src
COPY config ./config
COPY models ./models
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund \
 && node dist/cli.js version

# ---- runtime: slim Node, the compiled JS, production node_modules, the .node addon, the models
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/dist ./dist
COPY --from=build /app/config ./config
COPY --from=build /app/models ./models
# node_modules/@flashmm/core is a workspace symlink to crates/flashmm-node: copy its target too.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/crates/flashmm-node/package.json \
                  /app/crates/flashmm-node/index.js \
                  /app/crates/flashmm-node/index.d.ts \
                  ./crates/flashmm-node/
COPY --from=build /app/crates/flashmm-node/*.node ./crates/flashmm-node/
# The image's `node` user by number, so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
RUN node dist/cli.js version
EXPOSE 8080
# Reads the same configuration as the daemon, so it probes the port the daemon listens on
# (~0.3 s of CPU per probe: hence 30 s).
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "dist/cli.js", "health"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["run"]
