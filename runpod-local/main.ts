/**
 * CLI of the RunPod-compatible local endpoint: `npx tsx runpod-local/main.ts`.
 *
 * Settings (environment):
 *   RUNPOD_LOCAL_API_KEY         required, >= 16 chars; clients send "Authorization: Bearer <key>"
 *   RUNPOD_LOCAL_PORT            default 8288
 *   RUNPOD_LOCAL_HOST            default 127.0.0.1
 *   RUNPOD_LOCAL_ENDPOINTS       comma-separated endpoint ids, default "autodark-gpu"; an entry
 *                                "id=command" gives that endpoint its own worker command
 *   GPU_WORKER_COMMAND           default ".venv/bin/python -u gpu-worker/handler.py", run from the
 *                                repository root without a shell (split on spaces; quotes group)
 *   MAX_WORKERS                  worker processes per endpoint, default 3
 *   RUNPOD_LOCAL_IDLE_TIMEOUT_S  idle workers stop after this many seconds, default 60
 *   LOG_LEVEL                    pino level, default info
 */
import { z } from 'zod';
import { createLogger } from '../common/logger';
import { startLocalEndpoint, type EndpointSpec, type LocalEndpointOptions } from './server';

export { startLocalEndpoint } from './server';
export type { EndpointSpec, LocalEndpoint, LocalEndpointOptions } from './server';

const count = (def: number) => z.coerce.number().int().nonnegative().default(def);

const envSchema = z.object({
  RUNPOD_LOCAL_API_KEY: z.string({ error: 'RUNPOD_LOCAL_API_KEY is required' }).min(16, 'RUNPOD_LOCAL_API_KEY must be at least 16 characters'),
  RUNPOD_LOCAL_PORT: count(8288),
  RUNPOD_LOCAL_HOST: z.string().default('127.0.0.1'),
  RUNPOD_LOCAL_ENDPOINTS: z.string().default('autodark-gpu'),
  GPU_WORKER_COMMAND: z.string().default('.venv/bin/python -u gpu-worker/handler.py'),
  MAX_WORKERS: count(3).refine((n) => n >= 1, 'MAX_WORKERS must be at least 1'),
  RUNPOD_LOCAL_IDLE_TIMEOUT_S: z.coerce.number().nonnegative().default(60),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Splits a command line into argv without a shell: whitespace separates, '...' and "..." group. */
export function splitCommand(line: string): string[] {
  const argv: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const match of line.matchAll(pattern)) argv.push(match[1] ?? match[2] ?? match[3]);
  return argv;
}

/** "a,b=cmd" -> endpoint a runs the default command, b runs cmd. */
export function parseEndpoints(list: string, defaultCommand: string): EndpointSpec[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const eq = entry.indexOf('=');
      const id = eq < 0 ? entry : entry.slice(0, eq).trim();
      const command = eq < 0 ? defaultCommand : entry.slice(eq + 1);
      return { id, command: splitCommand(command) };
    });
}

export function optionsFromEnv(env: NodeJS.ProcessEnv): LocalEndpointOptions {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Invalid settings:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  }
  const e = parsed.data;
  return {
    apiKey: e.RUNPOD_LOCAL_API_KEY,
    port: e.RUNPOD_LOCAL_PORT,
    host: e.RUNPOD_LOCAL_HOST,
    endpoints: parseEndpoints(e.RUNPOD_LOCAL_ENDPOINTS, e.GPU_WORKER_COMMAND),
    maxWorkers: e.MAX_WORKERS,
    idleTimeoutMs: e.RUNPOD_LOCAL_IDLE_TIMEOUT_S * 1000,
    logger: createLogger('runpod-local', e.LOG_LEVEL),
  };
}

async function main(): Promise<void> {
  const endpoint = await startLocalEndpoint(optionsFromEnv(process.env));
  const stop = () => {
    endpoint.close().then(() => process.exit(0), (error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  };
  // `on`, not `once`: tsx re-sends a signal it thinks went unnoticed, and close() is idempotent.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
