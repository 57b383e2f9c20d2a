# syntax=docker/dockerfile:1
# vidcache: multi-stage build; the runtime image holds the compiled service, its production
# dependencies and the SQL migrations, and runs as the unprivileged `node` user.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: install everything, compile, then drop the development dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# The compiled code reads its migrations from src/database/migrations (relative to dist/).
COPY --from=build --chown=node:node /app/src/database/migrations ./src/database/migrations
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
# Ready: database reachable, first warm-up done (or no longer waited for), not shutting down.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node runs as PID 1 and handles SIGTERM itself (Nest shutdown hooks: readiness 503, drain, close).
# The preload starts OpenTelemetry tracing before the app loads, only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
CMD ["node", "--enable-source-maps", "--import", "./dist/telemetry/preload.js", "dist/main.js"]
