/**
 * Every setting, read once from the environment and validated. The README's settings table mirrors
 * this file. Workflow code never reads settings (it must stay deterministic): values it needs travel
 * in the workflow input.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (def: number) => z.coerce.number().int().nonnegative().default(def);
/** An optional secret: an empty value (KEY= in a .env file) counts as unset. */
const optionalSecret = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const list = z
  .string()
  .default('')
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

const envSchema = z.object({
  PORT: int(3000),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().default('./data'),
  X_API_KEY: z.string().min(16, 'X_API_KEY must be at least 16 characters').optional(),
  PUBLIC_BASE_URL: z.string().url().optional(),
  WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]+$/, 'WEBHOOK_SECRET must be a Standard Webhooks secret: whsec_<base64>')
    .optional(),
  WEBHOOK_TIMEOUT_MS: int(30_000),
  WEBHOOK_INITIAL_RETRY_MS: int(1_000),
  WEBHOOK_MAX_RETRY_INTERVAL_MS: int(3_600_000),
  WEBHOOK_RETRY_FOR_MS: int(24 * 3_600_000),
  ALLOWED_PRIVATE_HOSTS: list,
  STORAGE_DRIVER: z.enum(['local', 's3']).optional(),
  S3_ENDPOINT_URL: z.string().url().optional(),
  S3_PUBLIC_URL: z.string().url().optional(),
  S3_ACCESS_KEY: z.string().optional(),
  S3_SECRET_KEY: z.string().optional(),
  S3_BUCKET_NAME: z.string().default('canais'),
  S3_REGION: z.string().default('us-east-1'),
  S3_URL_MODE: z.enum(['public', 'presigned']).default('public'),
  S3_PRESIGN_EXPIRES_S: int(7 * 24 * 3600),
  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  VPS_MAX_CONCURRENT_JOBS: int(2),
  MAX_WORKERS: int(3),
  DOWNLOAD_MAX_BYTES: int(2 * 1024 ** 3),
  DOWNLOAD_TIMEOUT_MS: int(300_000),
  BODY_LIMIT_BYTES: int(10 * 1024 * 1024),
  CORS_ALLOW_ORIGINS: z.string().default('*'),
  RATE_LIMIT_MAX: int(600),
  RATE_LIMIT_WINDOW_MS: int(60_000),
  RUNPOD_API_KEY: z.string().optional(),
  RUNPOD_BASE_URL: z.string().url().optional(),
  RUNPOD_ENDPOINT_ID: z.string().default('autodark-gpu'),
  RUNPOD_WHISPER_ENDPOINT_ID: z.string().optional(),
  // YouTube captions (playwright drives this chromium; tests point the base URL at a local site)
  YOUTUBE_BASE_URL: z.string().url().default('https://www.youtube.com'),
  CHROMIUM_PATH: z.string().default('/usr/bin/chromium'),
  BROWSER_MAX_PAGES: z.coerce.number().int().min(1).default(2),
  BROWSER_CONTEXT_MAX_USES: z.coerce.number().int().min(1).default(20),
  YOUTUBE_DEADLINE_MS: z.coerce.number().int().min(1).default(90_000),
  // /vps/imagem/*: prompts from OpenRouter, images from Runware (REST API)
  OPENROUTER_API_KEY: optionalSecret,
  OPENROUTER_BASE_URL: z.string().url().default('https://openrouter.ai/api/v1'),
  OPENROUTER_MODEL: z.string().min(1).default('google/gemini-2.0-flash'),
  RUNWARE_API_KEY: optionalSecret,
  RUNWARE_BASE_URL: z.string().url().default('https://api.runware.ai/v1'),
  IMAGEM_DEADLINE_MS: z.coerce.number().int().min(1).default(300_000),
  // synchronous /vps/audio/* routes: past this the job is cancelled and the answer is 504
  AUDIO_SYNC_DEADLINE_MS: z.coerce.number().int().min(1).default(900_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().default('development'),
  TRUST_PROXY: bool.default(false),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  dataDir: string;
  apiKey: string;
  apiKeyGenerated: boolean;
  publicBaseUrl: string;
  storageDriver: 'local' | 's3';
}

/** Reads and validates settings; generates and persists X_API_KEY under DATA_DIR when unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid settings:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const dataDir = resolve(e.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const { apiKey, generated } = e.X_API_KEY
    ? { apiKey: e.X_API_KEY, generated: false }
    : persistedApiKey(dataDir);
  return {
    ...e,
    dataDir,
    apiKey,
    apiKeyGenerated: generated,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    storageDriver: e.STORAGE_DRIVER ?? (e.S3_ENDPOINT_URL ? 's3' : 'local'),
  };
}

function persistedApiKey(dataDir: string): { apiKey: string; generated: boolean } {
  const file = join(dataDir, 'api-key');
  if (existsSync(file)) return { apiKey: readFileSync(file, 'utf8').trim(), generated: false };
  const apiKey = `adk_${randomBytes(24).toString('base64url')}`;
  try {
    // exclusive create: when the API and a worker start together, one key wins and both use it
    writeFileSync(file, `${apiKey}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { apiKey: readFileSync(file, 'utf8').trim(), generated: false };
  }
  return { apiKey, generated: true };
}

/** Names of settings whose values must never be logged or returned. */
export const SECRET_SETTINGS = ['X_API_KEY', 'WEBHOOK_SECRET', 'S3_SECRET_KEY', 'S3_ACCESS_KEY', 'RUNPOD_API_KEY', 'OPENROUTER_API_KEY', 'RUNWARE_API_KEY'] as const;
