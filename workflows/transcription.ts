/**
 * Transcription on the GPU endpoint (faster-whisper or openai-whisper in the gpu-worker), for the
 * synchronous /runpod/audio/transcribe* routes: submit, await (resumable), then render SRT, VTT,
 * karaoke ASS and JSON in TypeScript (the same subtitle code as captions) and store them under `path`.
 * Cancelled by the API when its caller goes away; the RunPod job is cancelled with it.
 */
import { CancellationScope, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { TranscriptionRequest } from '../activities/transcription';
import { TASK_QUEUES } from '../common/temporal';

type Activities = ReturnType<typeof createActivities>;
const NON_RETRYABLE = ['BadInput', 'BadMedia', 'GpuNotConfigured', 'GpuJobFailed', 'GpuJobRejected', 'GpuJobTimedOut', 'GpuJobCancelled'];

const gpu = proxyActivities<Activities>({
  taskQueue: TASK_QUEUES.gpu,
  startToCloseTimeout: '90 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { maximumAttempts: 10, initialInterval: '2 seconds', nonRetryableErrorTypes: NON_RETRYABLE },
});
const orchestration = proxyActivities<Activities>({
  taskQueue: TASK_QUEUES.orchestration,
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE },
});

export async function transcription(input: { requestId: string; request: TranscriptionRequest }): Promise<Record<string, unknown>> {
  const startedAt = new Date().toISOString();
  const submission = await orchestration.prepareTranscription(input);
  const { runpodJobId } = await gpu.submitGpuJob({ endpointId: submission.endpointId, payload: submission.payload, executionTimeoutMs: 60 * 60_000 });
  try {
    const status = await gpu.awaitGpuJob({ endpointId: submission.endpointId, runpodJobId });
    return await orchestration.storeTranscription({ requestId: input.requestId, request: input.request, output: status.output, rawKey: submission.rawKey, startedAt });
  } catch (err) {
    if (isCancellation(err)) await CancellationScope.nonCancellable(() => gpu.cancelGpuJob({ endpointId: submission.endpointId, runpodJobId }));
    throw err;
  }
}
