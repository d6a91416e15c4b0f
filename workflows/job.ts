/**
 * One workflow per job (workflow id = job id). It runs the operation on the local FFmpeg path (VPS) or
 * the GPU path, keeps progress for GET /jobs/:id, then hands the webhook to a detached delivery
 * workflow. Its Temporal status is the job's status: Completed, Failed (the failure message is the
 * job's error) or Canceled.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  isCancellation,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { SEARCH_ATTRIBUTES, TASK_QUEUES } from '../common/temporal';
import { processingSignal, progressQuery, progressSignal, webhookWorkflowId } from './definitions';
import { envelope, execution } from './envelope';
import { innermostApplicationFailure } from './failures';
import { runOnGpu } from './gpu';
import type { JobInput, JobOutcome, JobProgress, OperationOutcome } from './types';
import { webhookDelivery } from './webhook';

type Activities = ReturnType<typeof createActivities>;

/** Upper bounds per operation (the seed's GPU execution timeouts, which also suit the CPU path). */
const OPERATION_TIMEOUT_MIN: Record<string, number> = {
  img2vid: 45,
  caption_style: 10,
  addaudio: 10,
  concatenate: 20,
  concat_video_audio: 15,
  trilhasonora: 15,
};

const NON_RETRYABLE = ['BadInput', 'BadMedia'];

export async function mediaJob(input: JobInput): Promise<JobOutcome> {
  const progress: JobProgress = { status: 'QUEUED', stage: 'queued', percent: 0, completed: 0, total: 1 };
  setHandler(progressQuery, () => progress);
  setHandler(processingSignal, ({ startedAt }) => {
    if (progress.status === 'PROCESSING') return;
    Object.assign(progress, { status: 'PROCESSING', stage: 'processing', startedAt });
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.status, value: 'PROCESSING' }]);
  });
  setHandler(progressSignal, (p) => {
    progress.stage = p.stage;
    progress.percent = Math.max(progress.percent, Math.min(100, p.percent));
    if (p.completed !== undefined) progress.completed = p.completed;
    if (p.total !== undefined) progress.total = p.total;
  });

  const local = proxyActivities<Activities>({
    taskQueue: TASK_QUEUES.mediaCpu,
    startToCloseTimeout: `${OPERATION_TIMEOUT_MIN[input.operation] ?? 30} minutes`,
    // the activity heartbeats every 5 s; a worker that dies is noticed within 20 s and the work retried
    heartbeatTimeout: '20 seconds',
    retry: { maximumAttempts: 3, initialInterval: '2 seconds', nonRetryableErrorTypes: NON_RETRYABLE },
    // wait for ffmpeg to be killed and temp files removed before the job counts as cancelled
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });

  const started = Date.now();
  try {
    const outcome: OperationOutcome =
      input.processor === 'GPU'
        ? await runOnGpu(input, ({ stage, completed, total }) => {
            Object.assign(progress, { stage, completed, total, percent: total ? (100 * completed) / total : 0 });
          })
        : await local.runLocalOperation({ jobId: input.jobId, operation: input.operation, request: input.request });
    const exec = execution(Date.parse(outcome.startedAt), Date.parse(outcome.finishedAt), input.processor, outcome.codec);
    const result = outcome.result;
    await finish(input, 'COMPLETED', { result, execution: exec });
    return { status: 'COMPLETED', result, execution: exec };
  } catch (err) {
    const exec = execution(progress.startedAt ? Date.parse(progress.startedAt) : started, Date.now(), input.processor);
    // a job cancelled while its activity was failing for another reason is still a cancelled job
    if (isCancellation(err) || CancellationScope.current().consideredCancelled) {
      await CancellationScope.nonCancellable(() => finish(input, 'CANCELLED', { errorMessage: 'Job cancelled', execution: exec }));
      throw err;
    }
    const { message, type } = innermostFailure(err);
    await finish(input, 'FAILED', { errorMessage: message, execution: exec });
    // keep the cause's type (BadInput/BadMedia) so callers can tell bad input from our faults
    throw ApplicationFailure.create({ message, type: type ?? 'JobFailed', nonRetryable: true });
  }
}

async function finish(input: JobInput, status: 'COMPLETED' | 'FAILED' | 'CANCELLED', payload: Parameters<typeof envelope>[2]): Promise<void> {
  upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.status, value: status }]);
  if (!input.webhookUrl) return;
  await startChild(webhookDelivery, {
    workflowId: webhookWorkflowId(input.jobId),
    taskQueue: TASK_QUEUES.orchestration,
    parentClosePolicy: ParentClosePolicy.ABANDON,
    args: [{ jobId: input.jobId, url: input.webhookUrl, status, body: envelope(input, status, payload), policy: input.webhookPolicy }],
  });
}

/** The innermost cause is the useful one ("url_audio: HTTP 404"), not "Activity task failed". */
function innermostFailure(err: unknown): { message: string; type?: string } {
  const inner = innermostApplicationFailure(err);
  const type = inner?.type ?? undefined;
  return { message: inner?.message ?? (err as Error)?.message ?? String(err), type: type && ['BadInput', 'BadMedia'].includes(type) ? type : undefined };
}
