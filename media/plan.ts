/**
 * The media plan: one JSON document that describes an operation completely
 * (inputs to fetch, files to write, FFmpeg invocations, outputs to upload).
 *
 * It is built once in TypeScript from a validated request and executed either by
 * the local executor (media/executor.ts) or by the GPU worker (gpu-worker/plan.py).
 * Both validate it against this schema (the Python side reads the JSON Schema
 * generated from it: gpu-worker/plan.schema.json, `npm run plan-schema`).
 *
 * argv tokens, expanded by the executors (and nothing else is interpreted):
 *   {in:ID}    local path of downloaded input ID
 *   {out:ID}   local path the output ID is written to
 *   {tmp:NAME} a path inside the job's work dir, for intermediates between steps
 *   {file:NAME} a path of one of plan.files, written before the first step
 *   {venc}     expands to several argv items: plan.encoders[<chosen encoder>]
 * Path tokens may sit inside a longer argument (a filtergraph's `sendcmd=f={file:motion.cmd}`);
 * {venc} is always a whole argument.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';

export const PLAN_VERSION = 1;

const id = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1-64 chars)');

export const planInputSchema = z.object({
  id,
  url: z.string().url(),
  /** what the input must be; executors check it before running ffmpeg */
  kind: z.enum(['image', 'video', 'audio', 'subtitle', 'json']),
  /** human name used in error messages, e.g. "images[3].image_url" */
  label: z.string().max(200),
});

export const planFileSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
  content: z.string(),
  /**
   * absent or utf8: content is the file's text; gzip-base64: base64 of the gzipped UTF-8 text (big subtitle
   * files: a plan travels through Temporal histories and RunPod inputs, which limit payload sizes)
   */
  encoding: z.enum(['utf8', 'gzip-base64']).optional(),
});

export const planStepSchema = z.object({
  id,
  /** ffmpeg arguments, without the program name; never passed through a shell */
  argv: z.array(z.string()).min(1),
  /** steps that must finish first; steps with no pending dependencies run in parallel */
  dependsOn: z.array(id).default([]),
  /** media time this step produces, for progress from `-progress` */
  durationSeconds: z.number().positive().optional(),
  /** share of the whole plan's work, for progress weighting (default: equal) */
  weight: z.number().positive().optional(),
});

export const planOutputSchema = z.object({
  id,
  /** storage key the output is published under */
  key: z.string().min(1).max(1024),
  contentType: z.string(),
  /** where the GPU worker PUTs the file (presigned S3 URL or the local store's signed URL) */
  upload: z
    .object({ url: z.string().url(), headers: z.record(z.string(), z.string()).default({}) })
    .optional(),
});

export const planSchema = z.object({
  version: z.literal(PLAN_VERSION),
  operation: z.string(),
  inputs: z.array(planInputSchema),
  files: z.array(planFileSchema).default([]),
  steps: z.array(planStepSchema).min(1),
  outputs: z.array(planOutputSchema).min(1),
  /** encoder name -> argv for {venc}; executors pick h264_nvenc when the GPU has an encoder */
  encoders: z.record(z.string(), z.array(z.string())).default({}),
  /** most steps run at once; executors cap it by their own core count */
  maxParallelSteps: z.number().int().min(1).max(64).default(1),
});

export type Plan = z.infer<typeof planSchema>;
export type PlanInput = z.infer<typeof planInputSchema>;
export type PlanStep = z.infer<typeof planStepSchema>;
export type PlanFile = z.infer<typeof planFileSchema>;

/** Files bigger than this travel gzipped (ASS/sendcmd text shrinks 8–15×). */
const COMPRESS_FILES_OVER = 32 * 1024;

/** The plan with its big files gzip-base64 encoded: what the orchestrator sends to GPU workers. */
export function compactPlanFiles(plan: Plan): Plan {
  const files = plan.files.map((f): PlanFile => (f.encoding === undefined || f.encoding === 'utf8') && Buffer.byteLength(f.content) > COMPRESS_FILES_OVER ? { name: f.name, content: gzipSync(f.content, { level: 9 }).toString('base64'), encoding: 'gzip-base64' } : f);
  return { ...plan, files };
}

/** A plan file's bytes as the executor writes them. */
export function planFileBytes(file: PlanFile): Buffer {
  return file.encoding === 'gzip-base64' ? gunzipSync(Buffer.from(file.content, 'base64')) : Buffer.from(file.content, 'utf8');
}
export type PlanOutput = z.infer<typeof planOutputSchema>;
