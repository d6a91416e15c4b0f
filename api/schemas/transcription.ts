/** /runpod/audio/transcribe and /transcribe-whisper (API-CONTRACT §2.9). The seed had no schema; it
 * turned newlines into spaces and trimmed audio_url and path, and treated beam_size 0 as 5. */
import { z } from 'zod';
import { httpUrl, storagePath } from './common';

const cleaned = (v: unknown) => (typeof v === 'string' ? v.replace(/[\r\n]+/g, ' ').trim() : v);

export function transcriptionRequest(defaultModel: string) {
  return z.object({
    audio_url: z.preprocess(cleaned, httpUrl),
    path: z.preprocess(cleaned, storagePath),
    model: z.string().regex(/^[A-Za-z0-9_.\-/]{1,100}$/, 'must be a model name').default(defaultModel),
    language: z.string().regex(/^[a-z]{2,3}$/, 'must be a language code like "pt"').nullable().default(null),
    enable_vad: z.boolean().default(true),
    beam_size: z.number().int().min(0).max(20).default(5).transform((v) => (v === 0 ? 5 : v)),
    temperature: z.number().min(0).max(1).default(0),
  });
}
