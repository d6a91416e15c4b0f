/** Field schemas shared by the request schemas (the single source of types, validation and OpenAPI). */
import { z } from 'zod';
import { CONTROL_CHARS, fileNameProblem, keyProblem } from '../../common/storage/keys';

export const MAX_URL_LENGTH = 8192;

/** A lone UTF-16 surrogate: no UTF-8 form, so it cannot become a storage key or a URL byte-for-byte. */
const LONE_SURROGATE = /\p{Cs}/u;
/** Bidi embeddings, overrides and isolates: they make "clip\u202Egnp.mp4" display as "clip4pm.png". */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;

/**
 * The forms a key may take further down the line: percent-decoded (once or twice, as a URL passes
 * through proxies and SDKs) and NFKC-normalised ("．．／" is "../" to systems that normalise).
 */
function decodedForms(v: string): string[] {
  const forms = [v.normalize('NFKC')];
  let current = v;
  for (let i = 0; i < 2 && current.includes('%'); i++) {
    try {
      current = decodeURIComponent(current);
    } catch {
      break; // "100% real.mp4" is a name, not an encoding
    }
    forms.push(current, current.normalize('NFKC'));
  }
  return forms.filter((f) => f !== v);
}

/** Problems of text that names a stored object, beyond those of `direct` (keyProblem/fileNameProblem). */
function textProblem(v: string, direct: (value: string) => string | null): string | null {
  if (LONE_SURROGATE.test(v)) return 'must be valid Unicode (no lone surrogates)';
  if (BIDI_CONTROLS.test(v)) return 'must not contain bidirectional control characters';
  const hidden = decodedForms(v).map(direct).find((p) => p !== null);
  if (hidden) return `${hidden} (once decoded or normalised)`;
  return null;
}

/** http(s) URL; spaces and "|" are allowed (the seed encodes them before fetching). */
export const httpUrl = z
  .string()
  .max(MAX_URL_LENGTH)
  .regex(/^https?:\/\/[^\s/?#]+\S*/i, 'must be an http(s) URL')
  .refine((v) => !CONTROL_CHARS.test(v), 'must not contain control characters')
  .refine((v) => !LONE_SURROGATE.test(v), 'must be valid Unicode (no lone surrogates)');

/** Strict URL (no spaces), as the seed's Joi `uri()` demanded for some fields. */
export const strictHttpUrl = z
  .string()
  .max(MAX_URL_LENGTH)
  .refine((v) => {
    if (LONE_SURROGATE.test(v)) return false;
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
    const problem = keyProblem(v) ?? textProblem(v, keyProblem);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const outputFilename = z
  .string()
  .min(1)
  .max(255)
  .superRefine((v, ctx) => {
    const problem = fileNameProblem(v) ?? textProblem(v, fileNameProblem);
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
