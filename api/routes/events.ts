/**
 * GET /jobs/:jobId/events: server-sent events while a job runs. A `progress` event whenever status,
 * stage or percent change, then one `status` event with the final job view, then the stream closes.
 * Stops polling Temporal as soon as the client leaves.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiDeps } from '../server';

const FINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

export function registerEventRoutes(app: FastifyInstance, deps: ApiDeps, pollMs = 500): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/jobs/:jobId/events',
    { schema: { params: z.object({ jobId: z.string().min(1).max(200) }), tags: ['Jobs'], summary: 'Live progress as server-sent events' }, config: { errorStyle: 'plain' } },
    async (request, reply) => {
      const { jobId } = request.params;
      const first = await deps.jobs.get(jobId);
      if (!first) return reply.code(404).send({ error: 'Job not found', message: `Job ${jobId} does not exist` });

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      let open = true;
      request.raw.on('close', () => {
        open = false;
      });
      const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

      let view = first;
      let last = '';
      let beats = 0;
      while (open) {
        if (FINAL.has(view.status)) {
          send('status', view);
          break;
        }
        const progress = { jobId, status: view.status, stage: view.progress?.stage ?? null, percent: view.progress?.percentage ?? 0 };
        const fingerprint = JSON.stringify(progress);
        if (fingerprint !== last) {
          send('progress', progress);
          last = fingerprint;
        } else if (++beats % 30 === 0) {
          res.write(': keep-alive\n\n'); // proxies drop silent connections
        }
        await new Promise((r) => setTimeout(r, pollMs));
        if (!open) break;
        view = (await deps.jobs.get(jobId).catch(() => view)) ?? view;
      }
      res.end();
    },
  );
}
