/**
 * The seed's asynchronous media routes: validate (zod), start one workflow per job, answer 202.
 * /runpod/* runs on the GPU path, /vps/* on local FFmpeg. The synchronous /vps/audio/* routes use the
 * same engine and wait for the workflow's result.
 */
import type { FastifyInstance } from 'fastify';
import type { Counter } from 'prom-client';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import type { ErrorStyle } from '../errors';
import { JobService } from '../jobs/service';
import type { JobOutcome, MediaOperation, Processor } from '../../workflows/types';
import {
  addaudioRequest,
  audioConcatenateRequest,
  audioTrilhasonoraRequest,
  captionStyleRequest,
  concatenateRequest,
  concatVideoAudioRequest,
  img2vidRequest,
  trilhasonoraRequest,
} from '../schemas/media';
import type { ApiDeps } from '../server';
import { awaitWorkflowSync } from '../sync-workflow';
import { checkWebhookUrl } from '../webhook-url';

interface AsyncRoute {
  operation: MediaOperation;
  schema: z.ZodType;
  errorStyle: ErrorStyle;
  summary: string;
}

const ASYNC_ROUTES: AsyncRoute[] = [
  { operation: 'img2vid', schema: img2vidRequest, errorStyle: 'joi', summary: 'Images to Ken Burns clips, one per image' },
  { operation: 'caption_style', schema: captionStyleRequest, errorStyle: 'joi-strict', summary: 'Burn styled captions (segments, highlight, word_by_word, karaoke_srt)' },
  { operation: 'addaudio', schema: addaudioRequest, errorStyle: 'joi', summary: 'Replace the audio track; video stream copied' },
  { operation: 'concatenate', schema: concatenateRequest, errorStyle: 'joi', summary: 'Join videos (stream copy when compatible)' },
  { operation: 'concat_video_audio', schema: concatVideoAudioRequest, errorStyle: 'joi', summary: 'Cycle clips to cover an audio track' },
  { operation: 'trilhasonora', schema: trilhasonoraRequest, errorStyle: 'joi-strict', summary: 'Background music ducked under the narration' },
];

function workersReserved(operation: MediaOperation, processor: Processor, body: Record<string, unknown>): number {
  if (processor === 'GPU' && operation === 'img2vid' && Array.isArray(body.images)) return Math.ceil(body.images.length / 34);
  return 1;
}

export function registerMediaRoutes(app: FastifyInstance, deps: ApiDeps, jobsStarted: Counter<'operation' | 'processor'>, audioDeadlineMs: number): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  for (const processor of ['GPU', 'VPS'] as const) {
    for (const route of ASYNC_ROUTES) {
      const url = `/${processor === 'GPU' ? 'runpod' : 'vps'}/video/${route.operation}`;
      r.post(
        url,
        {
          schema: { body: route.schema, tags: [processor === 'GPU' ? 'GPU video' : 'VPS video'], summary: route.summary },
          config: { errorStyle: route.errorStyle },
        },
        async (request, reply) => {
          const body = request.body as Record<string, unknown>;
          const problem = checkWebhookUrl(String(body.webhook_url), deps.allowList);
          if (problem) {
            return reply.code(400).send({ error: 'Validation error', message: 'Invalid request parameters', details: [{ field: 'webhook_url', message: problem }] });
          }
          const idempotencyKey = request.headers['idempotency-key'];
          const idempotent = typeof idempotencyKey === 'string' && idempotencyKey.length > 0;
          const jobId = JobService.jobIdFor(idempotent ? idempotencyKey : undefined);
          const started = await deps.jobs.start(route.operation, processor, body, { jobId, idempotent, workersReserved: workersReserved(route.operation, processor, body) });
          request.log.info({ jobId, operation: route.operation, processor, created: started.created }, 'job accepted');
          if (started.created) jobsStarted.inc({ operation: route.operation, processor });
          return reply.code(202).send(started.body);
        },
      );
    }
  }

  const syncAudio = [
    { url: '/vps/audio/concatenate', operation: 'audio_concatenate' as const, schema: audioConcatenateRequest },
    { url: '/vps/audio/trilhasonora', operation: 'audio_trilhasonora' as const, schema: audioTrilhasonoraRequest },
  ];
  for (const route of syncAudio) {
    r.post(route.url, { schema: { body: route.schema, tags: ['VPS audio'] }, config: { errorStyle: 'audio' } }, async (request, reply) => {
      const started = Date.now();
      const key = request.headers['idempotency-key'];
      const idempotent = typeof key === 'string' && key.length > 0;
      const jobId = JobService.jobIdFor(idempotent ? key : undefined);
      await deps.jobs.start(route.operation, 'VPS', request.body as Record<string, unknown>, { jobId, idempotent, workersReserved: 1 });
      // a client that hangs up or outwaits the deadline leaves no work behind: the job is cancelled
      const outcome = await awaitWorkflowSync<JobOutcome>(deps.client.workflow.getHandle(jobId), reply, audioDeadlineMs);
      const took = () => Date.now() - started;
      const name = route.operation.replace('audio_', '');
      switch (outcome.status) {
        case 'completed':
          return reply.send({ success: true, ...outcome.result.result, processing_time_ms: took() });
        case 'failed': {
          const clientFault = outcome.type === 'BadInput' || outcome.type === 'BadMedia';
          return reply.code(clientFault ? 422 : 500).send({ success: false, error: `${name} failed`, message: outcome.message, jobId, processing_time_ms: took() });
        }
        case 'deadline':
          return reply.code(504).send({ success: false, error: `${name} timed out`, message: `not finished within ${audioDeadlineMs} ms; the job was cancelled`, jobId, processing_time_ms: took() });
        case 'abandoned':
          // the client hung up and the job was cancelled; nobody reads this answer
          return reply.code(499).send({ success: false, error: 'Client closed request', jobId });
      }
    });
  }
}
