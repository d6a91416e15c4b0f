/**
 * runLocalOperation: a whole media operation on this machine's CPU (the /vps/* routes). Owns the job's
 * temp dir (RAM-backed /dev/shm when present, always removed), turns Temporal cancellation into an
 * AbortSignal that kills ffmpeg, and forwards progress as heartbeats and as a signal to the job.
 */
import { rm } from 'node:fs/promises';
import { setMaxListeners } from 'node:events';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { timed } from '../common/metrics';
import { downloadToFile } from '../common/net/download';
import type { Guard } from '../common/net/guarded-fetch';
import type { Storage } from '../common/storage';
import { runOperationLocally } from '../media';
import { processingSignal, progressSignal } from '../workflows/definitions';
import type { MediaOperation, OperationOutcome } from '../workflows/types';
import { jobTempRoot, makeWorkDir } from '../common/work-dirs';

export interface MediaDeps {
  guard: Guard;
  storage: Storage;
  client: Client;
  downloadMaxBytes: number;
  downloadTimeoutMs: number;
  tempRoot?: string;
}

export function mediaLocalActivities(deps: MediaDeps) {
  async function runLocalOperation(input: { jobId: string; operation: MediaOperation; request: Record<string, unknown> }): Promise<OperationOutcome> {
    const ctx = Context.current();
    const workflow = deps.client.workflow.getHandle(ctx.info.workflowExecution!.workflowId);
    const startedAt = new Date().toISOString();
    await workflow.signal(processingSignal, { startedAt });

    // every download and FFmpeg step of the job listens for cancellation on this one signal
    setMaxListeners(1000, ctx.cancellationSignal);
    const workDir = await makeWorkDir(deps.tempRoot ?? jobTempRoot(), input.jobId);
    let lastSignal = 0;
    const progress = (update: { stage: string; percent: number }) => {
      ctx.heartbeat(update);
      const now = Date.now();
      if (now - lastSignal < 1000 && update.percent < 100) return; // keep workflow history small
      lastSignal = now;
      workflow.signal(progressSignal, update).catch(() => undefined);
    };
    // heartbeats also carry cancellation to us: keep them flowing while ffmpeg is busy
    const ticker = setInterval(() => ctx.heartbeat(), 5_000);
    try {
      const outcome = await timed({ operation: input.operation, processor: 'VPS' }, () => runOperationLocally(input.operation, input.request, {
        jobId: input.jobId,
        workDir,
        signal: ctx.cancellationSignal,
        progress,
        storage: deps.storage,
        download: async (url, label, dest) => {
          await downloadToFile(deps.guard, url, dest, { label, maxBytes: deps.downloadMaxBytes, timeoutMs: deps.downloadTimeoutMs, signal: ctx.cancellationSignal });
        },
      }));
      return { ...outcome, startedAt, finishedAt: new Date().toISOString() };
    } catch (err) {
      // whatever broke when the job was cancelled (an aborted download, a killed ffmpeg), report the
      // cancellation itself so Temporal records the activity as cancelled, not failed
      if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
      throw err;
    } finally {
      clearInterval(ticker);
      await rm(workDir, { recursive: true, force: true });
    }
  }

  return { runLocalOperation };
}
