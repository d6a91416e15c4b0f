/** GET /metrics of the API process (Prometheus text format). */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { TASK_QUEUES } from '../common/temporal';
import { MEDIA_OPERATIONS, jobOperationName, type JobStatus } from '../workflows/types';
import type { ApiDeps } from './server';
import { taskQueueState } from './task-queues';

const STATUSES: JobStatus[] = ['QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED'];

export function registerMetrics(app: FastifyInstance, deps: ApiDeps): { jobsStarted: Counter<'operation' | 'processor'> } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'autodark_api_' });

  const jobsStarted = new Counter({ name: 'autodark_jobs_started_total', help: 'Jobs accepted by this API process', labelNames: ['operation', 'processor'], registers: [registry] });
  const http = new Histogram({ name: 'autodark_http_request_duration_seconds', help: 'API request durations', labelNames: ['method', 'route', 'status'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] });

  new Gauge({
    name: 'autodark_jobs',
    help: 'Jobs known to Temporal visibility, by status and operation (retention window)',
    labelNames: ['status', 'operation'],
    registers: [registry],
    async collect() {
      this.reset();
      const operations = MEDIA_OPERATIONS.flatMap((op) => [jobOperationName(op, 'GPU'), jobOperationName(op, 'VPS')]);
      await Promise.all(
        STATUSES.flatMap((status) =>
          operations.map(async (operation) => {
            const n = await deps.jobs.count(`${deps.listQuery({ status })} AND AutoDarkOperation='${operation}'`).catch(() => 0);
            if (n) this.set({ status, operation }, n);
          }),
        ),
      );
    },
  });

  new Gauge({
    name: 'autodark_task_queue',
    help: 'Activity backlog and pollers per task queue',
    labelNames: ['task_queue', 'kind'],
    registers: [registry],
    async collect() {
      this.reset();
      const queues = await taskQueueState(deps.client, deps.namespace, Object.values(TASK_QUEUES)).catch(() => []);
      for (const q of queues) {
        this.set({ task_queue: q.name, kind: 'workflow_pollers' }, q.workflowPollers);
        this.set({ task_queue: q.name, kind: 'activity_pollers' }, q.activityPollers);
        if (q.activityBacklog !== null) this.set({ task_queue: q.name, kind: 'activity_backlog' }, q.activityBacklog);
      }
    },
  });

  new Gauge({
    name: 'autodark_gpu_endpoint_workers',
    help: 'Workers of the GPU endpoint by state (RunPod /health)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      this.reset();
      const health = (await deps.gpuHealth().catch(() => undefined)) as { workers?: Record<string, number> } | undefined;
      for (const [state, n] of Object.entries(health?.workers ?? {})) if (typeof n === 'number') this.set({ state }, n);
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    http.observe({ method: request.method, route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { tags: ['Operations'], summary: 'Prometheus metrics' } }, async (_req, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return { jobsStarted };
}
