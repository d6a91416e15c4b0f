/**
 * POST /vps/video/transcribe_youtube (synchronous): runs the youtubeTranscript workflow and answers
 * with its result, in the seed's {"ok", "source", ...} shape. Problems with the video answer 4xx
 * naming the reason; the overall deadline (YOUTUBE_DEADLINE_MS) answers 504 and cancels the work.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../../common/config';
import { isYoutubeFailure, YOUTUBE_FAILURES, youtubeVideoId, type YoutubeTranscript, type YoutubeTranscriptInput } from '../../common/youtube';
import { transcribeYoutubeRequest } from '../schemas/youtube';
import type { ApiDeps } from '../server';
import { runWorkflowSync } from '../sync-workflow';

export function registerYoutubeRoutes(app: FastifyInstance, deps: ApiDeps, config: Config): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/vps/video/transcribe_youtube',
    {
      schema: { body: transcribeYoutubeRequest, tags: ['VPS video'], summary: 'YouTube captions as text, segments, SRT, VTT and JSON (synchronous)' },
      config: { errorStyle: 'joi' },
    },
    async (request, reply) => {
      const started = Date.now();
      const body = request.body;
      const videoId = youtubeVideoId(body.url)!;
      const input: YoutubeTranscriptInput = {
        videoId,
        source: body.url,
        language: body.language,
        prefer: body.prefer,
        keyPrefix: body.path ? body.path.replace(/\/*$/, '/') : `youtube/${videoId}/`,
      };
      const workflowId = `yt-${randomUUID()}`;
      const outcome = await runWorkflowSync<YoutubeTranscript>(deps.client, reply, {
        workflowType: 'youtubeTranscript',
        workflowId,
        args: [input],
        deadlineMs: config.YOUTUBE_DEADLINE_MS,
      });
      const base = { source: body.url, video_id: videoId, workflow_id: workflowId };
      const elapsed = () => Date.now() - started;

      switch (outcome.status) {
        case 'completed': {
          const t = outcome.result;
          const rawSegments = t.segments.map((s) => s.text);
          return reply.send({
            ok: true,
            ...base,
            title: t.title,
            language: t.language,
            language_name: t.languageName,
            kind: t.kind,
            format: t.format,
            ...(t.translatedFrom ? { translated_from: t.translatedFrom } : {}),
            segments_count: t.segments.length,
            transcript_text: rawSegments.join(' ').replace(/\s+/g, ' ').trim(),
            raw_segments: rawSegments,
            segments: t.segments,
            files: t.files,
            execution_time_ms: elapsed(),
          });
        }
        case 'failed': {
          if (isYoutubeFailure(outcome.type)) {
            const { status, reason } = YOUTUBE_FAILURES[outcome.type];
            const available = (outcome.details[0] as { available?: string[] } | undefined)?.available;
            return reply.code(status).send({ ok: false, ...base, error: outcome.message, reason, ...(available ? { available_languages: available } : {}), execution_time_ms: elapsed() });
          }
          request.log.error({ workflowId, err: outcome.message }, 'youtube transcript failed');
          return reply.code(500).send({ ok: false, ...base, error: 'Internal server error', message: outcome.message, execution_time_ms: elapsed() });
        }
        case 'deadline':
          return reply.code(504).send({ ok: false, ...base, error: `Transcript not ready within ${config.YOUTUBE_DEADLINE_MS} ms; the work was cancelled`, reason: 'timeout', execution_time_ms: elapsed() });
        case 'abandoned':
          // the client hung up and the work was cancelled; nobody reads this answer
          return reply.code(499).send({ ok: false, ...base, error: 'Client closed the request', execution_time_ms: elapsed() });
      }
    },
  );
}
