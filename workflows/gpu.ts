/**
 * The GPU path of a media job: plan(s) built in the orchestrator, executed by the GPU worker on RunPod
 * or the local endpoint. img2vid fans out in chunks of 34 images (one RunPod job each, in parallel);
 * a chunk whose RunPod job fails is resubmitted alone, up to GPU_ATTEMPTS times; on cancellation every
 * RunPod job still running is cancelled, so its GPU is freed.
 */
import { ApplicationFailure, CancellationScope, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { TASK_QUEUES } from '../common/temporal';
import type { JobInput, OperationOutcome } from './types';

type Activities = ReturnType<typeof createActivities>;

export const IMAGES_PER_GPU_JOB = 34;
/** RunPod jobs per chunk before the job fails: the first try plus two resubmissions */
const GPU_ATTEMPTS = 3;
const NON_RETRYABLE = ['BadInput', 'BadMedia', 'GpuNotConfigured', 'GpuJobFailed', 'GpuJobRejected', 'GpuJobTimedOut', 'GpuJobCancelled'];

/** The seed's GPU execution timeouts (API-CONTRACT §3). */
const EXECUTION_TIMEOUT_MIN: Record<string, number> = { img2vid: 45, caption_style: 10, addaudio: 10, concatenate: 20, concat_video_audio: 15, trilhasonora: 15 };

const orchestration = proxyActivities<Activities>({
  taskQueue: TASK_QUEUES.orchestration,
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
});
const gpuSubmit = proxyActivities<Activities>({
  taskQueue: TASK_QUEUES.gpu,
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5, initialInterval: '2 seconds', nonRetryableErrorTypes: NON_RETRYABLE },
});
const gpuCancel = proxyActivities<Activities>({
  taskQueue: TASK_QUEUES.gpu,
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
});

export interface GpuProgress {
  (update: { stage: string; completed: number; total: number }): void;
}

export function splitImages(request: Record<string, unknown>): Record<string, unknown>[] {
  const images = request.images as unknown[];
  const chunks: Record<string, unknown>[] = [];
  for (let i = 0; i < images.length; i += IMAGES_PER_GPU_JOB) chunks.push({ ...request, images: images.slice(i, i + IMAGES_PER_GPU_JOB) });
  return chunks;
}

export async function runOnGpu(input: JobInput, progress: GpuProgress): Promise<OperationOutcome> {
  const timeoutMin = EXECUTION_TIMEOUT_MIN[input.operation] ?? 30;
  const awaiter = proxyActivities<Activities>({
    taskQueue: TASK_QUEUES.gpu,
    // queued time on the endpoint counts too (the seed allowed +60 min before start)
    startToCloseTimeout: `${timeoutMin + 60} minutes`,
    heartbeatTimeout: '30 seconds',
    retry: { maximumAttempts: 10, initialInterval: '2 seconds', nonRetryableErrorTypes: NON_RETRYABLE },
  });
  const parts = input.operation === 'img2vid' ? splitImages(input.request) : [input.request];
  const running = new Set<string>();
  let completed = 0;
  progress({ stage: parts.length > 1 ? `submitting ${parts.length} GPU jobs` : 'submitting GPU job', completed, total: parts.length });
  const startedAt = new Date().toISOString();

  const runPart = async (request: Record<string, unknown>) => {
    const prepared = await orchestration.prepareGpuOperation({ jobId: input.jobId, operation: input.operation, request });
    for (let attempt = 1; ; attempt++) {
      const { runpodJobId } = await gpuSubmit.submitGpuJob({ payload: { kind: 'plan', plan: prepared.plan }, executionTimeoutMs: timeoutMin * 60_000 });
      running.add(runpodJobId);
      try {
        const status = await awaiter.awaitGpuJob({ runpodJobId });
        running.delete(runpodJobId);
        progress({ stage: 'gpu', completed: ++completed, total: parts.length });
        return { request, meta: prepared.meta, output: status.output as { outputs: { id: string; key: string; bytes: number }[]; encoder?: string } };
      } catch (err) {
        if (isCancellation(err)) throw err; // still running remotely: the cancellation handler below stops it
        running.delete(runpodJobId);
        if (attempt >= GPU_ATTEMPTS || !isGpuJobFailure(err)) throw err;
      }
    }
  };

  try {
    const results = await Promise.all(parts.map(runPart));
    const shaped = await Promise.all(results.map((r) => orchestration.shapeGpuOperation({ operation: input.operation, request: r.request, meta: r.meta, outputs: r.output.outputs })));
    const result = input.operation === 'img2vid' ? mergeImg2vid(shaped) : shaped[0];
    return { result, startedAt, finishedAt: new Date().toISOString(), codec: results[0]?.output.encoder ?? 'libx264' };
  } catch (err) {
    if (isCancellation(err) && running.size) {
      await CancellationScope.nonCancellable(() => Promise.all([...running].map((runpodJobId) => gpuCancel.cancelGpuJob({ runpodJobId }))));
    }
    throw err;
  }
}

function isGpuJobFailure(err: unknown): boolean {
  let e = err as { cause?: unknown; type?: string } | undefined;
  while (e) {
    if (e instanceof ApplicationFailure || e.type) return e.type === 'GpuJobFailed';
    e = e.cause as typeof e;
  }
  return false;
}

/** Results of the chunks, in image order, in the seed's shape (union of its ≤30 and >30 variants). */
export function mergeImg2vid(parts: Record<string, unknown>[]): Record<string, unknown> {
  const videos = parts.flatMap((p) => (p.videos as unknown[]) ?? []);
  const n = videos.length;
  return {
    ...parts[0],
    success: true,
    code: 200,
    message: n > 30 ? `${n} videos processed successfully` : 'Images converted to videos successfully',
    total: n,
    processed: n,
    videos,
  };
}
