/**
 * A whole AutoDark stack for a test file: Temporal workers and the API in this process, against the
 * suite's Temporal dev server, with DATA_DIR in a temp dir. Returns helpers to call the API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { createApi } from '../../api/main';
import { loadConfig, type Config } from '../../common/config';
import { createLogger } from '../../common/logger';
import { connectRuntime, type Runtime } from '../../common/runtime';
import type { TaskQueueName } from '../../common/temporal';
import type { WorkerSet } from '../../worker/create';

export const TEST_API_KEY = 'test-key-0123456789abcdef';

export interface Stack {
  url: string;
  config: Config;
  runtime: Runtime;
  app: FastifyInstance;
  dataDir: string;
  /** fetch against the API with the key */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  startWorkers(): Promise<void>;
  stopWorkers(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(env: Record<string, string> = {}, opts: { workers?: boolean; taskQueues?: TaskQueueName[] } = {}): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'autodark-test-'));
  const baseEnv: Record<string, string> = {
    DATA_DIR: dataDir,
    X_API_KEY: TEST_API_KEY,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    ALLOWED_PRIVATE_HOSTS: '127.0.0.1,localhost',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WEBHOOK_INITIAL_RETRY_MS: '200',
    WEBHOOK_MAX_RETRY_INTERVAL_MS: '1000',
    PORT: '0',
    ...env,
  };
  // the API must know its own URL for local file links: bind first, then set PUBLIC_BASE_URL
  let config = loadConfig(baseEnv);
  const logger = createLogger('test', config.LOG_LEVEL);
  let runtime = await connectRuntime(config);
  let app = await createApi(config, runtime, logger);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  if (!env.PUBLIC_BASE_URL) {
    await app.close();
    await runtime.connection.close();
    config = loadConfig({ ...baseEnv, PUBLIC_BASE_URL: `http://127.0.0.1:${port}` });
    runtime = await connectRuntime(config);
    app = await createApi(config, runtime, logger);
    await app.listen({ port, host: '127.0.0.1' });
  }
  const url = `http://127.0.0.1:${port}`;

  let workers: WorkerSet | undefined;
  let running: Promise<void> | undefined;
  const stack: Stack = {
    url,
    config,
    runtime,
    app,
    dataDir,
    api: (path, init = {}) => {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (!headers.has('x-api-key')) headers.set('x-api-key', TEST_API_KEY);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${url}${path}`, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
    },
    startWorkers: async () => {
      // loaded lazily: API-only tests need none of the media engine
      const { createWorkers } = await import('../../worker/create');
      workers = await createWorkers(config, runtime, logger, { taskQueues: opts.taskQueues, workflowBundlePath: inject('workflowBundlePath') });
      running = workers.run();
    },
    stopWorkers: async () => {
      workers?.shutdown();
      await running;
      workers = undefined;
    },
    stop: async () => {
      await stack.stopWorkers();
      app.server.closeAllConnections(); // as scripts/api.ts does after its grace period
      await app.close();
      await runtime.connection.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  if (opts.workers !== false) await stack.startWorkers();
  return stack;
}

/** Polls GET /jobs/:id until the job reaches one of `statuses`. */
export async function waitForJob(stack: Stack, jobId: string, statuses: string[] = ['COMPLETED', 'FAILED', 'CANCELLED'], timeoutMs = 90_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    const res = await stack.api(`/jobs/${jobId}`);
    last = (await res.json()) as Record<string, unknown>;
    if (statuses.includes(String(last.status))) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`job ${jobId} did not reach ${statuses.join('/')}; last: ${JSON.stringify(last)}`);
}
