/** Synchronous transcription on the GPU endpoint, run as the `transcription` workflow. */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { transcriptionRequest } from '../schemas/transcription';
import type { ApiDeps } from '../server';
import { runWorkflowSync } from '../sync-workflow';

const ROUTES = [
  { url: '/runpod/audio/transcribe', engine: 'faster-whisper' as const, defaultModel: 'large-v3' },
  { url: '/runpod/audio/transcribe-whisper', engine: 'openai-whisper' as const, defaultModel: 'base' },
];

/** Long audio takes minutes on a GPU; the seed polled for up to ~30 min. */
const DEADLINE_MS = 30 * 60_000;

export function registerTranscriptionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  for (const route of ROUTES) {
    r.post(route.url, { schema: { body: transcriptionRequest(route.defaultModel), tags: ['Transcription'] }, config: { errorStyle: 'transcription' } }, async (request, reply) => {
      const requestId = randomUUID();
      const started = Date.now();
      const outcome = await runWorkflowSync<Record<string, unknown>>(deps.client, reply, {
        workflowType: 'transcription',
        workflowId: `transcribe-${requestId}`,
        args: [{ requestId, request: { engine: route.engine, ...request.body } }],
        deadlineMs: DEADLINE_MS,
      });
      const execution = { startTime: new Date(started).toISOString(), endTime: new Date().toISOString(), durationMs: Date.now() - started };
      switch (outcome.status) {
        case 'completed':
          return outcome.result;
        case 'failed': {
          const clientFault = outcome.type === 'BadInput' || outcome.type === 'BadMedia';
          return reply.code(clientFault ? 422 : outcome.type === 'GpuNotConfigured' ? 503 : 500).send({ error: 'Transcription failed', message: outcome.message, job_id: requestId, execution });
        }
        case 'deadline':
          return reply.code(504).send({ error: 'Transcription failed', message: `no result within ${DEADLINE_MS / 60_000} minutes; the job was cancelled`, job_id: requestId, execution });
        default:
          return reply; // the client went away; the workflow was cancelled
      }
    });
  }
}
