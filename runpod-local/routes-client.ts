/**
 * The client API of RunPod serverless (https://api.runpod.ai/v2/{endpointId}/...), for any configured
 * endpoint id: run, runsync, status, status-sync, stream, cancel, retry, purge-queue, health.
 * Authorization: "Bearer KEY" (or the bare key) with RUNPOD_LOCAL_API_KEY.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { clientKeyFrom, sameKey } from './auth';
import { isSettled, statusBody, type JobRecord, type JobStore } from './job-store';
import type { WorkerPool } from './worker-pool';

const WEEK_MS = 7 * 24 * 3600 * 1000;
const RUN_RETENTION_MS = 30 * 60 * 1000;
const RUNSYNC_RETENTION_MS = 60 * 1000;
/** /runsync and /status-sync wait 90 s unless ?wait= says otherwise (1000..300000 ms). */
const DEFAULT_SYNC_WAIT_MS = 90_000;
/** /stream holds an empty answer this long, so polling clients do not spin. */
const STREAM_HOLD_MS = 5_000;

// Limits as RunPod documents them for execution policies.
const runBody = z.object({
  input: z.unknown().refine((value) => value !== undefined, 'Required'),
  webhook: z.url({ protocol: /^https?$/ }).optional(),
  policy: z
    .object({
      executionTimeout: z.number().int().gt(5000).max(WEEK_MS).optional(),
      ttl: z.number().int().min(10_000).max(WEEK_MS).optional(),
      lowPriority: z.boolean().optional(),
    })
    .optional(),
  s3Config: z.record(z.string(), z.unknown()).optional(),
});

export interface ClientRoutesOptions {
  pools: Map<string, WorkerPool>;
  store: JobStore;
  apiKey: string;
  defaultExecutionTimeoutMs: number;
}

interface EndpointParams {
  endpointId: string;
}
interface JobParams extends EndpointParams {
  jobId: string;
}
interface WaitQuery {
  wait?: string;
}

export function registerClientRoutes(app: FastifyInstance, options: ClientRoutesOptions): void {
  const { pools, store } = options;

  app.addHook('onRequest', async (request, reply) => {
    if (!sameKey(clientKeyFrom(request.headers.authorization), options.apiKey)) {
      return reply.code(401).send({ error: 'Unauthorized: send "Authorization: Bearer <RUNPOD_LOCAL_API_KEY>"' });
    }
  });

  function poolOr404(endpointId: string, reply: FastifyReply): WorkerPool | undefined {
    const pool = pools.get(endpointId);
    if (!pool) void reply.code(404).send({ error: `endpoint "${endpointId}" does not exist` });
    return pool;
  }

  function jobOr404(endpointId: string, jobId: string, reply: FastifyReply): { pool: WorkerPool; job: JobRecord } | undefined {
    const pool = poolOr404(endpointId, reply);
    if (!pool) return undefined;
    const job = store.get(endpointId, jobId);
    if (!job) {
      void reply.code(404).send({ error: 'request does not exist' });
      return undefined;
    }
    return { pool, job };
  }

  function submit(endpointId: string, body: unknown, reply: FastifyReply, sync: boolean): JobRecord | undefined {
    const pool = poolOr404(endpointId, reply);
    if (!pool) return undefined;
    const parsed = runBody.safeParse(body ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`);
      void reply.code(400).send({ error: issues.join('; ') });
      return undefined;
    }
    if (pool.queueFull) {
      void reply.code(429).send({ error: `endpoint "${endpointId}" queue is full` });
      return undefined;
    }
    const { input, webhook, policy, s3Config } = parsed.data;
    const job = store.create({
      endpointId,
      input,
      webhook,
      s3Config,
      lowPriority: policy?.lowPriority ?? false,
      executionTimeoutMs: policy?.executionTimeout ?? options.defaultExecutionTimeoutMs,
      ttlMs: policy?.ttl ?? 24 * 3600 * 1000,
      retentionMs: sync ? RUNSYNC_RETENTION_MS : RUN_RETENTION_MS,
      sync,
    });
    pool.submit(job);
    return job;
  }

  app.post<{ Params: EndpointParams }>('/v2/:endpointId/run', { bodyLimit: 10 * 1024 * 1024 }, async (request, reply) => {
    const job = submit(request.params.endpointId, request.body, reply, false);
    if (job) return { id: job.id, status: job.status };
  });

  app.post<{ Params: EndpointParams; Querystring: WaitQuery }>('/v2/:endpointId/runsync', async (request, reply) => {
    const job = submit(request.params.endpointId, request.body, reply, true);
    if (!job) return;
    await store.waitForSettled(job, syncWait(request.query.wait));
    return statusBody(job);
  });

  app.get<{ Params: JobParams }>('/v2/:endpointId/status/:jobId', async (request, reply) => {
    const found = jobOr404(request.params.endpointId, request.params.jobId, reply);
    if (found) return statusBody(found.job);
  });

  // Used by the runpod-sdk npm client's runSync: /status that waits for the job to settle.
  app.get<{ Params: JobParams; Querystring: WaitQuery }>('/v2/:endpointId/status-sync/:jobId', async (request, reply) => {
    const found = jobOr404(request.params.endpointId, request.params.jobId, reply);
    if (!found) return;
    await store.waitForSettled(found.job, syncWait(request.query.wait));
    return statusBody(found.job);
  });

  // Chunks streamed since the previous call: {status, stream: [{output}, ...]}.
  app.get<{ Params: JobParams }>('/v2/:endpointId/stream/:jobId', async (request, reply) => {
    const found = jobOr404(request.params.endpointId, request.params.jobId, reply);
    if (!found) return;
    const { job } = found;
    if (job.pendingStream.length === 0 && !isSettled(job.status)) await store.waitForChange(job, STREAM_HOLD_MS);
    const stream = job.pendingStream.splice(0);
    return { status: job.status, stream };
  });

  app.post<{ Params: JobParams }>('/v2/:endpointId/cancel/:jobId', async (request, reply) => {
    const found = jobOr404(request.params.endpointId, request.params.jobId, reply);
    if (found) return found.pool.cancel(found.job);
  });

  app.post<{ Params: JobParams }>('/v2/:endpointId/retry/:jobId', async (request, reply) => {
    const found = jobOr404(request.params.endpointId, request.params.jobId, reply);
    if (!found) return;
    if (!found.pool.retry(found.job)) {
      return reply.code(400).send({ error: `job is ${found.job.status}; only FAILED or TIMED_OUT jobs can be retried` });
    }
    return { id: found.job.id, status: found.job.status };
  });

  app.post<{ Params: EndpointParams }>('/v2/:endpointId/purge-queue', async (request, reply) => {
    const pool = poolOr404(request.params.endpointId, reply);
    if (pool) return { removed: pool.purgeQueue(), status: 'completed' };
  });

  app.get<{ Params: EndpointParams }>('/v2/:endpointId/health', async (request, reply) => {
    const pool = poolOr404(request.params.endpointId, reply);
    if (pool) return pool.health();
  });

  // Not RunPod: counters and worker processes of every endpoint, for tests and operators.
  app.get('/admin/stats', async () => ({ endpoints: [...pools.values()].map((pool) => pool.stats()) }));
}

function syncWait(raw: string | undefined): number {
  const wait = Number(raw);
  if (raw === undefined || !Number.isFinite(wait)) return DEFAULT_SYNC_WAIT_MS;
  return Math.min(300_000, Math.max(1000, wait));
}
