/** Field schemas shared by the request schemas (the single source of types, validation and OpenAPI). */
import { z } from 'zod';
import { CONTROL_CHARS, fileNameProblem, keyProblem } from '../../common/storage/keys';

export const MAX_URL_LENGTH = 8192;

/** http(s) URL; spaces and "|" are allowed (the seed encodes them before fetching). */
export const httpUrl = z
  .string()
  .max(MAX_URL_LENGTH)
  .regex(/^https?:\/\/[^\s/?#]+\S*/i, 'must be an http(s) URL')
  .refine((v) => !CONTROL_CHARS.test(v), 'must not contain control characters');

/** Strict URL (no spaces), as the seed's Joi `uri()` demanded for some fields. */
export const strictHttpUrl = z
  .string()
  .max(MAX_URL_LENGTH)
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !/\s/.test(v);
    } catch {
      return false;
    }
  }, 'must be a valid http(s) URI');

export const webhookUrl = strictHttpUrl;

/** Joi coerced "125" to 125; keep accepting numeric strings. */
export const idRoteiro = z.preprocess(
  (v) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v),
  z.number().int().min(-2147483648).max(2147483647),
);

export const storagePath = z
  .string()
  .min(1)
  .max(900)
  .superRefine((v, ctx) => {
    const problem = keyProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const outputFilename = z
  .string()
  .min(1)
  .max(255)
  .superRefine((v, ctx) => {
    const problem = fileNameProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const hexColor = z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'must be a #RRGGBB colour');

export const ALIGNMENTS = ['bottom_left', 'bottom_center', 'bottom_right', 'middle_left', 'middle_center', 'middle_right', 'top_left', 'top_center', 'top_right'] as const;
export const alignment = z.enum(ALIGNMENTS);

/** Fields every asynchronous media job takes. */
export const asyncJobFields = {
  webhook_url: webhookUrl,
  id_roteiro: idRoteiro.optional(),
  path: storagePath,
};
