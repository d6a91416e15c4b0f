/** Request schemas of /vps/imagem/* (unknown keys are rejected, as the seed's Joi did). */
import { z } from 'zod';
import { storagePath } from './common';

/** Joi converted numeric strings ("1024") to numbers; keep accepting them. */
const integer = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v), z.number().int().min(min).max(max));

const MAX_ITEMS = 1000;

export const gerarPromptsRequest = z
  .object({
    cenas: z
      .array(z.object({ index: integer(0, 2_147_483_647), texto: z.string().min(1) }).strict())
      .min(1)
      .max(MAX_ITEMS),
    estilo: z.string().min(1).max(500),
    detalhe_estilo: z.string().min(1).max(1000),
    roteiro: z.string().min(1),
    agente: z.string().min(1).describe('system prompt for the model'),
    model: z.string().min(1).max(200).optional().describe('OpenRouter model id; default OPENROUTER_MODEL'),
  })
  .strict();

export const gerarImagensRequest = z
  .object({
    prompts: z
      .array(z.object({ index: integer(0, 2_147_483_647), prompt: z.string().min(1) }).strict())
      .min(1)
      .max(MAX_ITEMS),
    image_model: z.string().min(1).max(100).describe('Runware model id (AIR), e.g. runware:101@1'),
    altura: integer(512, 2048).describe('height in pixels'),
    largura: integer(512, 2048).describe('width in pixels'),
    path: storagePath.optional().describe('storage prefix for the images; default imagens/<workflow id>/'),
  })
  .strict();

export type GerarPromptsRequest = z.infer<typeof gerarPromptsRequest>;
export type GerarImagensRequest = z.infer<typeof gerarImagensRequest>;
