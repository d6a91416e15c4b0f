/**
 * startLocalEndpoint: a RunPod-serverless-compatible HTTP server whose endpoints run real worker
 * processes on this machine (the embedded default GPU backend, or a GPU box of one's own).
 * Point any RunPod client at `baseUrl` (e.g. runpod-sdk's `baseUrl`, RUNPOD_BASE_URL).
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import Fastify, { LogController } from 'fastify';
import { createLogger, type Logger } from '../common/logger';
import { JobStore, statusBody } from './job-store';
import { registerClientRoutes } from './routes-client';
import { registerWorkerRoutes } from './routes-worker';
import { WebhookSender } from './webhook';
import { workerEnv } from './worker-env';
import { WorkerReaper } from './worker-reaper';
import { WorkerPool, type EndpointSpec, type EndpointStats } from './worker-pool';

export type { EndpointSpec } from './worker-pool';

export interface LocalEndpointOptions {
  /** clients authenticate with "Authorization: Bearer <apiKey>" */
  apiKey: string;
  endpoints: EndpointSpec[];
  /** 0 picks a free port */
  port?: number;
  host?: string;
  /** worker processes per endpoint */
  maxWorkers?: number;
  /** an idle worker is stopped after this long without a job */
  idleTimeoutMs?: number;
  /** SIGTERM -> SIGKILL grace when stopping a worker */
  killGraceMs?: number;
  /** executionTimeout of jobs whose policy names none (RunPod: 10 min) */
  defaultExecutionTimeoutMs?: number;
  /** working directory of worker commands (default: the repository root) */
  cwd?: string;
  /** environment passed to workers (default: this process's, minus RUNPOD_LOCAL_API_KEY) */
  env?: NodeJS.ProcessEnv;
  /** settled job records kept at most (beyond RunPod's retention times) */
  maxSettledRecords?: number;
  logger?: Logger;
}

export interface LocalEndpoint {
  /** server origin, e.g. http://127.0.0.1:8288 */
  url: string;
  /** RunPod API base, `${url}/v2`: what RunPod clients take as their base URL */
  baseUrl: string;
  close(): Promise<void>;
  stats(): EndpointStats[];
}

const ENDPOINT_ID = /^[A-Za-z0-9_-]{1,64}$/;
const POLL_HOLD_MS = 20_000;
const SWEEP_INTERVAL_MS = 1000;

export async function startLocalEndpoint(options: LocalEndpointOptions): Promise<LocalEndpoint> {
  if (options.apiKey.length < 16) throw new Error('apiKey (RUNPOD_LOCAL_API_KEY) must be at least 16 characters');
  if (options.endpoints.length === 0) throw new Error('at least one endpoint is required');
  for (const spec of options.endpoints) {
    if (!ENDPOINT_ID.test(spec.id)) throw new Error(`endpoint id "${spec.id}" must match ${ENDPOINT_ID}`);
    if (spec.command.length === 0) throw new Error(`endpoint "${spec.id}" has an empty worker command`);
  }
  const logger = options.logger ?? createLogger('runpod-local');
  const host = options.host ?? '127.0.0.1';
  // Workers authenticate with their own key, never the client key, and it changes on every start.
  const workerKey = randomBytes(24).toString('base64url');
  const store = new JobStore(options.maxSettledRecords ?? 10_000);
  const webhooks = new WebhookSender(logger);
  const reaper = new WorkerReaper();
  let origin = '';

  const pools = new Map<string, WorkerPool>();
  for (const spec of options.endpoints) {
    pools.set(spec.id, new WorkerPool(spec, {
      maxWorkers: options.maxWorkers ?? 3,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      killGraceMs: options.killGraceMs ?? 5000,
      cwd: options.cwd ?? resolve(__dirname, '..'),
      store,
      logger,
      reaper,
      envFor: (podId) => workerEnv({ origin, endpointId: spec.id, podId, workerKey, baseEnv: options.env ?? process.env, extra: spec.env }),
      onSettled: (job) => {
        if (job.webhook) webhooks.send(job.webhook, statusBody(job));
      },
    }));
  }

  // Request logging stays off (worker URLs carry their key, and polls would drown the job events);
  // failures are logged by route pattern, never by URL.
  const app = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 20 * 1024 * 1024 });
  app.addHook('onError', async (request, _reply, error) => {
    logger.error({ method: request.method, route: request.routeOptions.url, err: error }, 'request failed');
  });
  // RunPod clients post cancel/purge-queue with a JSON content type and no body.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });
  // The Python SDK posts its JSON results labelled application/x-www-form-urlencoded.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  await app.register(async (scope) => registerClientRoutes(scope, { pools, store, apiKey: options.apiKey, defaultExecutionTimeoutMs: options.defaultExecutionTimeoutMs ?? 600_000 }));
  await app.register(async (scope) => registerWorkerRoutes(scope, { pools, workerKey, pollHoldMs: POLL_HOLD_MS }));

  try {
    await app.listen({ port: options.port ?? 8288, host });
  } catch (error) {
    reaper.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const reachableHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  origin = `http://${reachableHost}:${port}`;

  const sweeper = setInterval(() => {
    for (const pool of pools.values()) pool.expireQueued();
    store.sweep();
  }, SWEEP_INTERVAL_MS);

  logger.info({ url: origin, endpoints: options.endpoints.map((e) => ({ id: e.id, command: e.command })) }, 'local RunPod endpoint listening');
  let closing: Promise<void> | undefined;
  return {
    url: origin,
    baseUrl: `${origin}/v2`,
    stats: () => [...pools.values()].map((pool) => pool.stats()),
    close: () => {
      closing ??= (async () => {
        clearInterval(sweeper);
        store.close();
        webhooks.close();
        await Promise.all([...pools.values()].map((pool) => pool.close()));
        reaper.close();
        await app.close();
      })();
      return closing;
    },
  };
}
