/**
 * GPU jobs on RunPod serverless (or the RunPod-compatible local endpoint: same protocol), through the
 * official runpod-sdk. Three activities, so Temporal owns every state change:
 *   submitGpuJob  POST /run, returns the RunPod job id (recorded in workflow history);
 *   awaitGpuJob   polls /status with heartbeats carrying {runpodJobId, status}; a retried attempt
 *                 (worker crash, redeploy) resumes polling the same RunPod job: nothing is resubmitted;
 *   cancelGpuJob  POST /cancel, called by the workflow in a non-cancellable scope.
 * Errors: see failed() below; transport errors (5xx, resets) are retried by polling on.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Config } from '../common/config';
import { runpodEndpoint } from '../common/gpu-endpoint';
import { timed } from '../common/metrics';
import { downloadToFile } from '../common/net/download';
import type { Guard } from '../common/net/guarded-fetch';
import type { Storage } from '../common/storage';
import { prepareGpuPlan, shapeGpuResult, type GpuWorkerOutput } from '../media/gpu';
import { processingSignal } from '../workflows/definitions';
import type { MediaOperation } from '../workflows/types';
import { jobTempRoot } from '../common/work-dirs';

export interface GpuDeps {
  config: Config;
  storage: Storage;
  guard: Guard;
  client: Client;
}

export interface GpuJobStatus {
  status: string;
  delayTime?: number;
  executionTime?: number;
  output?: unknown;
  error?: unknown;
}

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

export function gpuActivities(deps: GpuDeps) {
  const { config } = deps;
  const endpoint = (id: string) => {
    if (!config.RUNPOD_API_KEY) throw ApplicationFailure.nonRetryable('no GPU endpoint configured: set RUNPOD_API_KEY (and RUNPOD_BASE_URL for a self-hosted endpoint)', 'GpuNotConfigured');
    const ep = runpodEndpoint(config, id);
    if (!ep) throw ApplicationFailure.nonRetryable(`invalid GPU endpoint id "${id}"`, 'GpuNotConfigured');
    return ep;
  };

  async function prepareGpuOperation(input: { jobId: string; operation: MediaOperation; request: Record<string, unknown> }) {
    const ctx = Context.current();
    const prepared = await prepareGpuPlan(input.operation, input.request, {
      jobId: input.jobId,
      storage: deps.storage,
      tempRoot: jobTempRoot(),
      signal: ctx.cancellationSignal,
      download: async (url, label, dest) => {
        await downloadToFile(deps.guard, url, dest, { label, maxBytes: config.DOWNLOAD_MAX_BYTES, timeoutMs: config.DOWNLOAD_TIMEOUT_MS, signal: ctx.cancellationSignal });
      },
    });
    return prepared;
  }

  async function submitGpuJob(input: { endpointId?: string; payload: Record<string, unknown>; executionTimeoutMs: number }): Promise<{ runpodJobId: string }> {
    const res = (await endpoint(input.endpointId ?? config.RUNPOD_ENDPOINT_ID).run(
      { input: input.payload, policy: { executionTimeout: input.executionTimeoutMs, ttl: input.executionTimeoutMs + 3_600_000 } },
      30_000,
    )) as { id?: string; status?: string | number; statusText?: string };
    if (!res.id) throw new Error(`GPU endpoint did not accept the job (HTTP ${res.status ?? '?'} ${res.statusText ?? ''})`);
    return { runpodJobId: res.id };
  }

  async function awaitGpuJob(input: { endpointId?: string; runpodJobId: string; pollMs?: number }): Promise<GpuJobStatus> {
    return timed({ operation: 'gpu_job', processor: 'GPU' }, () => pollGpuJob(input));
  }

  async function pollGpuJob(input: { endpointId?: string; runpodJobId: string; pollMs?: number }): Promise<GpuJobStatus> {
    const ctx = Context.current();
    const ep = endpoint(input.endpointId ?? config.RUNPOD_ENDPOINT_ID);
    const workflow = deps.client.workflow.getHandle(ctx.info.workflowExecution!.workflowId);
    let signalled = false;
    let delay = input.pollMs ?? 1000;
    for (;;) {
      let s: GpuJobStatus | undefined;
      try {
        s = (await ep.status(input.runpodJobId, 30_000)) as GpuJobStatus;
      } catch (err) {
        // 5xx or network fault: RunPod still has the job; keep polling (the heartbeat keeps us alive)
        ctx.heartbeat({ runpodJobId: input.runpodJobId, status: 'UNKNOWN', error: (err as Error).message });
      }
      if (s) {
        ctx.heartbeat({ runpodJobId: input.runpodJobId, status: s.status, delayTime: s.delayTime });
        if (s.status === 'IN_PROGRESS' && !signalled) {
          signalled = true;
          await workflow.signal(processingSignal, { startedAt: new Date().toISOString() }).catch(() => undefined);
        }
        if (TERMINAL.has(s.status)) return finish(s, input.runpodJobId);
      }
      await sleepOrCancel(delay, ctx.cancellationSignal);
      delay = Math.min(delay * 1.5, 5000);
    }
  }

  async function cancelGpuJob(input: { endpointId?: string; runpodJobId: string }): Promise<void> {
    await endpoint(input.endpointId ?? config.RUNPOD_ENDPOINT_ID).cancel(input.runpodJobId, 30_000);
  }

  async function shapeGpuOperation(input: { operation: MediaOperation; request: Record<string, unknown>; meta: Record<string, unknown>; outputs: GpuWorkerOutput[] }) {
    return shapeGpuResult(input.operation, input.request, input.meta, input.outputs, deps.storage);
  }

  return { prepareGpuOperation, submitGpuJob, awaitGpuJob, cancelGpuJob, shapeGpuOperation };
}

function finish(s: GpuJobStatus, id: string): GpuJobStatus {
  if (s.status === 'COMPLETED') {
    const out = s.output as { error?: string } | undefined;
    if (out && typeof out === 'object' && typeof out.error === 'string') failed(out.error, id);
    return s;
  }
  if (s.status === 'FAILED') return failed(s.error, id);
  if (s.status === 'TIMED_OUT') throw ApplicationFailure.create({ message: `GPU job ${id} timed out (executionTimeout)`, type: 'GpuJobTimedOut', nonRetryable: true });
  throw ApplicationFailure.create({ message: `GPU job ${id} was cancelled on the endpoint`, type: 'GpuJobCancelled', nonRetryable: true });
}

/**
 * How a FAILED RunPod job is classified. The gpu-worker reports problems it understood (a bad input,
 * an FFmpeg step that failed on this media) as a plain message: resubmitting cannot help, so it is
 * final (GpuJobRejected). An unexpected exception (the worker's "internal error: …", or the SDK's JSON
 * with a traceback) or a dead worker is a GPU failure the workflow resubmits (GpuJobFailed).
 */
const GPU_FAULT = /^internal error:|^worker \S+ (died|exited|was killed)|while running this job/;

function failed(error: unknown, id: string): never {
  if (typeof error === 'string' && GPU_FAULT.test(error)) {
    throw ApplicationFailure.create({ message: error, type: 'GpuJobFailed', nonRetryable: true, details: [{ runpodJobId: id }] });
  }
  if (typeof error === 'string') {
    try {
      const parsed = JSON.parse(error) as { error_type?: string; error_message?: string };
      if (parsed && typeof parsed === 'object' && parsed.error_message) {
        throw ApplicationFailure.create({ message: parsed.error_message, type: 'GpuJobFailed', nonRetryable: true, details: [{ runpodJobId: id, errorType: parsed.error_type }] });
      }
    } catch (err) {
      if (err instanceof ApplicationFailure) throw err;
    }
    throw rejected(error, id);
  }
  throw ApplicationFailure.create({ message: error ? JSON.stringify(error) : 'Job failed in RunPod', type: 'GpuJobFailed', nonRetryable: true, details: [{ runpodJobId: id }] });
}

function rejected(message: string, id: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: 'GpuJobRejected', nonRetryable: true, details: [{ runpodJobId: id }] });
}

function sleepOrCancel(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new CancelledFailure('cancelled'));
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new CancelledFailure('cancelled'));
    }, { once: true });
  });
}
