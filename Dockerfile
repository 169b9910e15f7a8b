# The platform on node:20-slim. It runs the TypeScript sources through tsx (a runtime
# dependency), so there is no build stage. Configure it with the environment (README.md).
# The web console is built in a stage of its own (it needs the dev dependencies) and copied
# into the image as static files.
FROM node:20-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY web ./web
RUN npm run build:web

FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production

COPY package.json package-lock.json ./
COPY scripts/postinstall.mjs ./scripts/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=console /app/web/dist ./web/dist

COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY drizzle ./drizzle

# DATA_DIR holds the PGlite database when DATABASE_URL is unset, and the generated master
# key when SUPERINSIGHT_SECRET_KEY is unset.
ENV HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node, not npm: npm does not pass SIGTERM on, and `docker stop` should shut down gracefully.
CMD ["node", "bin/superinsight.mjs", "serve"]
