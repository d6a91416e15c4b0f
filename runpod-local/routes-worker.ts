/**
 * The worker side of RunPod serverless, as the runpod Python SDK (1.12) calls it (see worker-env.ts):
 *   GET  job-take/{podId}         -> 200 {id, input[, s3Config]} or 204 when there is no job
 *   GET  job-take-batch/{podId}   -> 200 [{id, input}, ...] (handlers with a concurrency_modifier)
 *   GET  job-stop/{podId}         -> long-poll; 204 (we stop jobs by stopping the worker instead)
 *   POST job-done/{podId}/{jobId} -> JSON text sent as x-www-form-urlencoded: {"output"}, {"error"},
 *                                    or {"status":"IN_PROGRESS","output"} from progress_update
 *   POST job-stream/{podId}/{jobId} -> one {"output"} chunk of a generator handler
 *   GET  ping/{podId}             -> heartbeat, ?job_id=a,b&runpod_version=...
 * Authenticated with the worker key (RUNPOD_AI_API_KEY) in the Authorization header or the URL token.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sameKey } from './auth';
import type { JobRecord } from './job-store';
import { WORKER_TOKEN_PARAM } from './worker-env';
import type { WorkerPool } from './worker-pool';

export interface WorkerRoutesOptions {
  pools: Map<string, WorkerPool>;
  workerKey: string;
  /** how long job-take and job-stop polls are held open (the SDK gives up after 90 s) */
  pollHoldMs: number;
}

interface WorkerParams {
  endpointId: string;
  podId: string;
}
interface JobParams extends WorkerParams {
  jobId: string;
}
type WorkerQuery = Record<string, string | undefined>;

export function registerWorkerRoutes(app: FastifyInstance, options: WorkerRoutesOptions): void {
  const { pools, workerKey, pollHoldMs } = options;

  app.addHook('onRequest', async (request: FastifyRequest<{ Querystring: WorkerQuery }>, reply) => {
    const header = request.headers.authorization?.replace(/^Bearer\s+/i, '');
    if (!sameKey(header, workerKey) && !sameKey(request.query[WORKER_TOKEN_PARAM], workerKey)) {
      return reply.code(401).send({ error: 'Unauthorized worker: RUNPOD_AI_API_KEY does not match' });
    }
  });

  /** The endpoint's pool when podId is one of its live workers; 404 otherwise. */
  function poolFor(params: WorkerParams, reply: FastifyReply): WorkerPool | undefined {
    const pool = pools.get(params.endpointId);
    if (pool?.isWorker(params.podId)) return pool;
    void reply.code(404).send({ error: `no worker "${params.podId}" on endpoint "${params.endpointId}"` });
    return undefined;
  }

  async function take(request: FastifyRequest<{ Params: WorkerParams }>, reply: FastifyReply, max: number): Promise<JobRecord[] | undefined> {
    const pool = poolFor(request.params, reply);
    const pending = pool?.take(request.params.podId, max, pollHoldMs);
    if (!pool || !pending) return undefined;
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) pool.abandonTake(request.params.podId);
    });
    const jobs = await pending;
    if (jobs.length === 0) {
      void reply.code(204).send();
      return undefined;
    }
    return jobs;
  }

  app.get<{ Params: WorkerParams }>('/v2/:endpointId/job-take/:podId', async (request, reply) => {
    const jobs = await take(request, reply, 1);
    if (jobs) return workerPayload(jobs[0]);
  });

  app.get<{ Params: WorkerParams; Querystring: { batch_size?: string } }>('/v2/:endpointId/job-take-batch/:podId', async (request, reply) => {
    const size = Number(request.query.batch_size);
    const jobs = await take(request, reply, Number.isInteger(size) && size > 0 ? size : 1);
    if (jobs) return jobs.map(workerPayload);
  });

  app.get<{ Params: WorkerParams }>('/v2/:endpointId/job-stop/:podId', async (request, reply) => {
    const pool = poolFor(request.params, reply);
    const held = pool?.holdStopPoll(request.params.podId, pollHoldMs);
    if (!held) return;
    await held;
    return reply.code(204).send();
  });

  app.post<{ Params: JobParams }>('/v2/:endpointId/job-done/:podId/:jobId', async (request, reply) => {
    const body = jsonObject(request.body);
    if (!body) return reply.code(400).send({ error: 'body must be a JSON object' });
    pools.get(request.params.endpointId)?.report(request.params.podId, request.params.jobId, body);
    return {};
  });

  app.post<{ Params: JobParams }>('/v2/:endpointId/job-stream/:podId/:jobId', async (request, reply) => {
    const body = jsonObject(request.body);
    if (!body) return reply.code(400).send({ error: 'body must be a JSON object' });
    pools.get(request.params.endpointId)?.streamChunk(request.params.podId, request.params.jobId, body);
    return {};
  });

  app.get<{ Params: WorkerParams; Querystring: WorkerQuery }>('/v2/:endpointId/ping/:podId', async (request, reply) => {
    const pool = pools.get(request.params.endpointId);
    if (!pool?.ping(request.params.podId, request.query)) return reply.code(404).send({ error: 'unknown worker' });
    return {};
  });
}

function workerPayload(job: JobRecord): Record<string, unknown> {
  return { id: job.id, input: job.input, ...(job.s3Config !== undefined ? { s3Config: job.s3Config } : {}) };
}

/** The SDK posts JSON text labelled x-www-form-urlencoded; accept a parsed object too. */
function jsonObject(body: unknown): Record<string, unknown> | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
