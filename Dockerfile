# syntax=docker/dockerfile:1

# ---- build: Node 20 + the Rust toolchain; `npm ci` builds the addon (release) and the TypeScript
FROM node:20-bookworm AS build
# Rust from the official image (same Debian release, so the addon links against the same glibc).
COPY --from=rust:1.95-bookworm /usr/local/rustup /usr/local/rustup
COPY --from=rust:1.95-bookworm /usr/local/cargo /usr/local/cargo
ENV RUSTUP_HOME=/usr/local/rustup \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:$PATH
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund \
 && node dist/cli.js version

# ---- runtime: slim Node, the compiled JS, production node_modules and the .node addon
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
USER node
RUN node dist/cli.js version
CMD ["node", "dist/cli.js", "run"]
