# AutoDark api and Temporal worker: one image, the command picks the process.
#   docker run IMAGE                                           the api on $PORT (default command)
#   docker run IMAGE node_modules/.bin/tsx scripts/worker.ts   a worker (WORKER_TASK_QUEUES picks queues)
# docker-compose.yml builds it once and runs it as both services.

# The Temporal CLI comes from the official admin-tools image (a static Go binary), so the image
# needs no Python venv for it; it lets temporal-config/setup.sh run from inside this image too.
FROM temporalio/admin-tools:1.32.0 AS temporal-cli

FROM node:20-bookworm-slim

# Media tools the activities shell out to, the fonts captions and slides render with (fontconfig
# brings fc-list/fc-match, which media/fonts.ts resolves font names with), Debian's Chromium for
# playwright-core (/usr/bin/chromium), and tini so signals reach node and the ffmpeg/chromium
# children get reaped.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates \
        chromium \
        ffmpeg \
        fontconfig \
        fonts-dejavu-core \
        fonts-liberation2 \
        fonts-noto-core \
        tini \
    && rm -rf /var/lib/apt/lists/*

COPY --from=temporal-cli /usr/local/bin/temporal /usr/local/bin/temporal

ENV NODE_ENV=production \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    PORT=3000 \
    DATA_DIR=/data

WORKDIR /app

# Dependencies first so code edits reuse this layer. TypeScript runs through tsx (a runtime
# dependency), so there is no build step and dev dependencies stay out.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force

# Code stays root-owned (read-only to the app); only DATA_DIR is writable.
COPY . .
RUN mkdir -p /data && chown node:node /data

# uid 1000 is the base image's `node` user; numeric so Kubernetes runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000

# The api's /health answers 503 when Temporal is unreachable, so this also tracks the backend.
# The worker serves no HTTP: its compose service disables this check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node_modules/.bin/tsx", "scripts/api.ts"]
