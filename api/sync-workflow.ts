/**
 * Synchronous routes backed by a workflow: start it, wait for its result up to a deadline, and cancel
 * it when the deadline passes or the client hangs up, so no work outlives the request that wanted it.
 */
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { FastifyReply } from 'fastify';
import { TASK_QUEUES } from '../common/temporal';

export type SyncOutcome<T> =
  | { status: 'completed'; result: T }
  | { status: 'failed'; type?: string; message: string; details: unknown[] }
  | { status: 'deadline' }
  | { status: 'abandoned' };

/** Temporal keeps the workflow this much longer than the API waits, then times it out itself. */
const EXECUTION_MARGIN_MS = 60_000;

export async function runWorkflowSync<T>(
  client: Client,
  reply: FastifyReply,
  opts: { workflowType: string; workflowId: string; args: unknown[]; deadlineMs: number },
): Promise<SyncOutcome<T>> {
  const handle = await client.workflow.start(opts.workflowType, {
    workflowId: opts.workflowId,
    taskQueue: TASK_QUEUES.orchestration,
    args: opts.args,
    workflowExecutionTimeout: opts.deadlineMs + EXECUTION_MARGIN_MS,
  });
  return awaitWorkflowSync<T>(handle, reply, opts.deadlineMs);
}

/** Waits for a started workflow on behalf of `reply`; cancels it past the deadline or on hang-up. */
export async function awaitWorkflowSync<T>(handle: WorkflowHandle, reply: FastifyReply, deadlineMs: number): Promise<SyncOutcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  let onClose: (() => void) | undefined;
  const result = handle.result().then(
    (value): SyncOutcome<T> => ({ status: 'completed', result: value as T }),
    (err: unknown): SyncOutcome<T> => failed(err),
  );
  const deadline = new Promise<SyncOutcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ status: 'deadline' }), deadlineMs);
  });
  const abandoned = new Promise<SyncOutcome<T>>((resolve) => {
    onClose = () => {
      if (!reply.raw.writableFinished) resolve({ status: 'abandoned' });
    };
    reply.raw.once('close', onClose);
    // the client may have gone while the job was being started
    if (reply.request.raw.socket?.destroyed) onClose();
  });
  try {
    const outcome = await Promise.race([result, deadline, abandoned]);
    if (outcome.status === 'deadline' || outcome.status === 'abandoned') await handle.cancel().catch(() => undefined);
    return outcome;
  } finally {
    clearTimeout(timer);
    if (onClose) reply.raw.removeListener('close', onClose);
  }
}

function failed(err: unknown): { status: 'failed'; type?: string; message: string; details: unknown[] } {
  let innermost: ApplicationFailure | undefined;
  for (let e = (err instanceof WorkflowFailedError ? err.cause : err) as { cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e instanceof ApplicationFailure) innermost = e;
  }
  if (innermost) return { status: 'failed', type: innermost.type ?? undefined, message: innermost.message, details: (innermost.details as unknown[] | undefined) ?? [] };
  const e = err as { cause?: { message?: string }; message?: string };
  return { status: 'failed', message: e?.cause?.message ?? e?.message ?? String(err), details: [] };
}
