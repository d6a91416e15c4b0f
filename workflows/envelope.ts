/**
 * The webhook envelopes of API-CONTRACT §3, built deterministically inside the workflow.
 * `timestamp` is added by the delivery activity at send time.
 */
import { pathRaiz } from '../common/storage/keys';
import type { Execution, JobInput, JobStatus } from './types';
import { webhookOperation } from './types';

export function execution(startMs: number, endMs: number, processor: JobInput['processor'], codec?: string): Execution {
  const durationMs = Math.max(0, endMs - startMs);
  const base = { startTime: new Date(startMs).toISOString(), endTime: new Date(endMs).toISOString(), durationMs };
  return processor === 'VPS'
    ? { ...base, durationSeconds: Math.round(durationMs / 1000), worker: 'LocalWorkerService', codec: codec ?? 'libx264' }
    : { ...base, durationSeconds: Math.round(durationMs / 10) / 100, ...(codec ? { worker: 'RunPod', codec } : {}) };
}

export function envelope(
  input: JobInput,
  status: Exclude<JobStatus, 'QUEUED' | 'PROCESSING'>,
  payload: { result?: Record<string, unknown>; errorMessage?: string; execution: Execution },
): Record<string, unknown> {
  const body: Record<string, unknown> = { jobId: input.jobId };
  if (input.idRoteiro !== undefined) body.idRoteiro = input.idRoteiro;
  // the seed omits pathRaiz on GPU failures; keeping it everywhere else
  if (!(input.processor === 'GPU' && status === 'FAILED')) body.pathRaiz = typeof input.request.path === 'string' ? pathRaiz(input.request.path) : undefined;
  body.status = status;
  body.operation = webhookOperation(input);
  body.processor = input.processor;
  if (status === 'COMPLETED') body.result = payload.result;
  else body.error = errorObject(input, status, payload.errorMessage ?? 'unknown error');
  body.execution = payload.execution;
  return body;
}

function errorObject(input: JobInput, status: 'FAILED' | 'CANCELLED', message: string) {
  if (status === 'CANCELLED') return { code: 'CANCELLED', message };
  if (input.processor === 'GPU') return { code: 'PROCESSING_ERROR', message };
  return {
    code: 'VPS_PROCESSING_ERROR',
    message,
    operation: `${input.operation}_vps`,
    payload: {
      operation: input.operation,
      path: input.request.path,
      imageCount: Array.isArray(input.request.images) ? input.request.images.length : undefined,
      videoCount: Array.isArray(input.request.video_urls) ? input.request.video_urls.length : undefined,
      firstImageUrl: Array.isArray(input.request.images) ? (input.request.images[0] as { image_url?: string })?.image_url : undefined,
    },
  };
}
