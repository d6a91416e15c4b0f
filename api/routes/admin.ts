/**
 * Operator routes kept for old clients. There is no semaphore to leak any more: worker capacity is
 * Temporal's task-queue concurrency. recover-workers reconciles the GPU endpoint instead: remote jobs
 * whose workflow is gone are cancelled.
 */
import type { FastifyInstance } from 'fastify';
import { TASK_QUEUES } from '../../common/temporal';
import type { ApiDeps } from '../server';
import { taskQueueState } from '../task-queues';

export function registerAdminRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/admin/workers/status', { schema: { tags: ['Admin'], summary: 'Temporal pollers per task queue and GPU endpoint health' } }, async () => {
    const [queues, processing, queued, gpu] = await Promise.all([
      taskQueueState(deps.client, deps.namespace, Object.values(TASK_QUEUES)),
      deps.jobs.list({ status: 'PROCESSING', limit: 100 }),
      deps.jobs.count(deps.listQuery({ status: 'QUEUED' })),
      deps.gpuHealth().then((h) => ({ healthy: true, ...h }), (err: Error) => ({ healthy: false, message: err.message })),
    ]);
    const active = processing.jobs.length;
    return {
      summary: { totalWorkers: deps.gpuWorkers, activeWorkers: Math.min(active, deps.gpuWorkers), availableWorkers: Math.max(0, deps.gpuWorkers - active) },
      activeJobs: {
        count: active,
        totalWorkersReserved: active,
        details: processing.jobs.map((j) => ({ jobId: j.jobId, operation: j.operation, status: j.status, workersReserved: 1, createdAt: j.createdAt })),
      },
      queueStats: { queued, processing: active },
      taskQueues: queues,
      gpuEndpoint: gpu,
    };
  });

  app.post('/admin/recover-workers', { schema: { tags: ['Admin'], summary: 'Cancel GPU jobs whose workflow is gone' } }, async (_req, reply) => {
    try {
      const recovered = await deps.reconcileGpu();
      return {
        success: true,
        message: recovered ? `Successfully recovered ${recovered} leaked worker(s)` : 'No leaked workers found',
        recoveredWorkers: recovered,
      };
    } catch (err) {
      return reply.code(500).send({ success: false, error: 'Recovery failed', message: (err as Error).message });
    }
  });
}
