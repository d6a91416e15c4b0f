/** Request schema of POST /vps/video/transcribe_youtube (unknown keys are dropped, as the seed's Joi did). */
import { z } from 'zod';
import { YOUTUBE_URL_PATTERN, youtubeVideoId } from '../../common/youtube';
import { storagePath } from './common';

export const transcribeYoutubeRequest = z.object({
  url: z
    .string()
    .max(2048)
    .superRefine((v, ctx) => {
      if (!YOUTUBE_URL_PATTERN.test(v)) ctx.addIssue({ code: 'custom', message: 'must be a YouTube video URL (https://www.youtube.com/watch?v=… or https://youtu.be/…)' });
      else if (!youtubeVideoId(v)) ctx.addIssue({ code: 'custom', message: 'does not contain a valid 11-character YouTube video id' });
    })
    .describe('YouTube video URL'),
  language: z
    .string()
    .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, 'must be a language code such as "en" or "pt-BR"')
    .optional()
    .describe('caption language; default: the spoken language. Falls back to the same primary language, then to a YouTube translation'),
  prefer: z.enum(['manual', 'auto']).default('manual').describe('manual (uploaded) captions or auto-generated ones, when a language has both'),
  path: storagePath.optional().describe('storage prefix for transcript.srt/.vtt/.txt and segments.json; default youtube/<videoId>/'),
});

export type TranscribeYoutubeRequest = z.infer<typeof transcribeYoutubeRequest>;
