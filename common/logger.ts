/** pino logger shared by the API, the worker and the local GPU endpoint; secrets are redacted. */
import pino from 'pino';

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info') {
  return pino({
    name,
    level,
    redact: {
      paths: [
        'req.headers["x-api-key"]',
        'req.headers.authorization',
        'headers["x-api-key"]',
        'headers.authorization',
        '*.apiKey',
        '*.api_key',
        '*.secret',
        '*.secretKey',
        '*.password',
        '*.OPENROUTER_API_KEY',
        '*.RUNWARE_API_KEY',
        'OPENROUTER_API_KEY',
        'RUNWARE_API_KEY',
      ],
      censor: '[redacted]',
    },
  });
}

export type Logger = pino.Logger;
