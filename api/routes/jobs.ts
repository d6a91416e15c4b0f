/** Job status, listing, cancellation and queue statistics, all read from Temporal. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TASK_QUEUES } from '../../common/temporal';
import { MEDIA_OPERATIONS, jobOperationName } from '../../workflows/types';
import type { ApiDeps } from '../server';
import { taskQueueState } from '../task-queues';

const jobIdParams = z.object({ jobId: z.string().min(1).max(200) });
const STATUSES = ['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;

export function registerJobRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get('/jobs/:jobId', { schema: { params: jobIdParams, tags: ['Jobs'], summary: 'Job status, progress, result and webhook attempts' }, config: { errorStyle: 'plain' } }, async (request, reply) => {
    const view = await deps.jobs.get(request.params.jobId);
    if (!view) return reply.code(404).send({ error: 'Job not found', message: `Job ${request.params.jobId} does not exist` });
    return view;
  });

  r.post('/jobs/:jobId/cancel', { schema: { params: jobIdParams, tags: ['Jobs'], summary: 'Cancel a queued or running job' }, config: { errorStyle: 'plain' } }, async (request, reply) => {
    const { jobId } = request.params;
    const outcome = await deps.jobs.cancel(jobId);
    if (outcome.ok) return { message: 'Job cancelled successfully', jobId };
    if (outcome.code === 404) return reply.code(404).send({ error: 'Job not found', message: `Job ${jobId} does not exist` });
    return reply.code(400).send({ error: 'Bad request', message: `Cannot cancel job with status ${outcome.status}` });
  });

  r.get(
    '/jobs',
    {
      schema: {
        querystring: z.object({
          status: z.enum(STATUSES).optional(),
          operation: z.string().regex(/^[a-z_]{1,40}$/).optional(),
          idRoteiro: z.coerce.number().int().optional(),
          limit: z.coerce.number().int().min(1).max(100).default(20),
          cursor: z.string().max(4096).optional(),
        }),
        tags: ['Jobs'],
        summary: 'List jobs (visibility query on search attributes), newest first, cursor paging',
      },
      config: { errorStyle: 'plain' },
    },
    async (request) => deps.jobs.list(request.query),
  );

  r.get('/queue/stats', { schema: { tags: ['Jobs'], summary: 'Counts by status and operation, task-queue backlog and pollers' } }, async () => {
    const base = `WorkflowType='mediaJob'`;
    const [queued, processing, completed, failed, cancelled] = await Promise.all(
      STATUSES.map((s) => deps.jobs.count(deps.listQuery({ status: s }))),
    );
    const operations = [...MEDIA_OPERATIONS.flatMap((op) => [jobOperationName(op, 'GPU'), jobOperationName(op, 'VPS')])];
    const byOperation: Record<string, number> = {};
    await Promise.all(
      operations.map(async (op) => {
        const n = await deps.jobs.count(`${base} AND AutoDarkOperation='${op}'`);
        if (n) byOperation[op] = n;
      }),
    );
    const queues = await taskQueueState(deps.client, deps.namespace, Object.values(TASK_QUEUES));
    const gpuSlots = deps.gpuWorkers;
    const activeWorkers = Math.min(gpuSlots, processing);
    return {
      queued,
      submitted: 0,
      processing,
      completed,
      failed,
      cancelled,
      totalJobs: queued + processing + completed + failed + cancelled,
      activeWorkers,
      availableWorkers: Math.max(0, gpuSlots - activeWorkers),
      byOperation,
      taskQueues: queues,
    };
  });
}
