/**
 * Jobs are Temporal workflows (workflow id = job id); this module is the only place that turns them
 * into the seed's job views. Nothing is stored elsewhere: describe + queries + visibility answer all.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers';
import { TypedSearchAttributes } from '@temporalio/common';
import { SEARCH_ATTRIBUTES, TASK_QUEUES } from '../../common/temporal';
import { progressQuery, webhookAttemptsQuery, webhookWorkflowId } from '../../workflows/definitions';
import type { JobInput, JobMemo, JobOutcome, JobProgress, JobStatus, MediaOperation, Processor, WebhookAttempt, WebhookDeliveryResult, WebhookPolicy } from '../../workflows/types';
import { jobOperationName } from '../../workflows/types';
import { estimatedTime } from './estimate';
import { QueueCounter } from './queue-count';

export interface JobServiceOptions {
  namespace: string;
  webhookPolicy: WebhookPolicy;
  workers: { GPU: number; VPS: number };
}

export interface StartedJob {
  created: boolean;
  body: Record<string, unknown>;
}

export interface JobView {
  jobId: string;
  status: JobStatus;
  operation: string;
  idRoteiro?: number;
  result?: Record<string, unknown>;
  error?: string;
  createdAt: string;
  submittedAt?: string;
  completedAt?: string;
  progress?: { completed: number; total: number; percentage: number; stage: string };
  estimatedCompletion?: string;
  webhook?: { url?: string; delivered: boolean; pending: boolean; attempts: WebhookAttempt[]; gaveUpReason?: string };
}

const JOB_WORKFLOW = 'mediaJob';

export class JobService {
  private readonly queue: QueueCounter;

  constructor(private readonly client: Client, private readonly opts: JobServiceOptions) {
    this.queue = new QueueCounter((processor) => this.countQueued(processor));
  }

  /** Idempotency-Key → a stable job id, so a retried POST lands on the same workflow. */
  static jobIdFor(idempotencyKey?: string): string {
    if (!idempotencyKey) return randomUUID();
    const h = createHash('sha256').update(`autodark-idempotency:${idempotencyKey}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  async start(operation: MediaOperation, processor: Processor, request: Record<string, unknown>, opts: { jobId: string; workersReserved: number; idempotent?: boolean }): Promise<StartedJob> {
    const createdAt = new Date().toISOString();
    const idRoteiro = typeof request.id_roteiro === 'number' ? request.id_roteiro : undefined;
    const input: JobInput = {
      jobId: opts.jobId,
      operation,
      processor,
      request,
      idRoteiro,
      webhookUrl: typeof request.webhook_url === 'string' ? request.webhook_url : undefined,
      webhookPolicy: this.opts.webhookPolicy,
      createdAt,
    };
    const memo: JobMemo = { operation: jobOperationName(operation, processor), processor, idRoteiro, createdAt, webhookUrl: input.webhookUrl };
    const ahead = await this.queue.ahead(processor);
    try {
      await this.client.workflow.start(JOB_WORKFLOW, {
        workflowId: opts.jobId,
        taskQueue: TASK_QUEUES.orchestration,
        args: [input],
        memo: memo as unknown as Record<string, unknown>,
        typedSearchAttributes: new TypedSearchAttributes([
          { key: SEARCH_ATTRIBUTES.operation, value: memo.operation },
          { key: SEARCH_ATTRIBUTES.status, value: 'QUEUED' },
          { key: SEARCH_ATTRIBUTES.processor, value: processor },
          ...(idRoteiro !== undefined ? [{ key: SEARCH_ATTRIBUTES.idRoteiro, value: idRoteiro }] : []),
        ]),
        // only a client-chosen id (Idempotency-Key) can meet an existing job, running or closed: both
        // throw, and the replay answers with that job. The SDK's own retries of this call reuse its
        // request id, which the server deduplicates, so they cannot be mistaken for a replay.
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { created: false, body: await this.acceptedBodyForExisting(opts.jobId, opts.workersReserved) };
      throw err;
    }
    this.queue.accepted(processor);
    const position = ahead + 1;
    return {
      created: true,
      body: {
        jobId: opts.jobId,
        status: 'QUEUED',
        operation: memo.operation,
        ...(idRoteiro !== undefined ? { idRoteiro } : {}),
        message: 'Job queued successfully',
        estimatedTime: estimatedTime(operation, processor, position, this.opts.workers[processor]),
        queuePosition: position,
        statusUrl: `/jobs/${opts.jobId}`,
        createdAt,
        workersReserved: opts.workersReserved,
      },
    };
  }

  private async acceptedBodyForExisting(jobId: string, workersReserved: number): Promise<Record<string, unknown>> {
    const view = await this.get(jobId);
    if (!view) throw new Error(`job ${jobId} vanished`);
    return {
      jobId,
      status: view.status,
      operation: view.operation,
      ...(view.idRoteiro !== undefined ? { idRoteiro: view.idRoteiro } : {}),
      message: 'Job already exists (idempotent replay)',
      statusUrl: `/jobs/${jobId}`,
      createdAt: view.createdAt,
      workersReserved,
    };
  }

  private async countQueued(processor: Processor): Promise<number> {
    const { count } = await this.client.workflow.count(`WorkflowType='${JOB_WORKFLOW}' AND ExecutionStatus='Running' AND AutoDarkStatus='QUEUED' AND AutoDarkProcessor='${processor}'`);
    return count;
  }

  async get(jobId: string): Promise<JobView | null> {
    const handle = this.client.workflow.getHandle(jobId);
    let d: WorkflowExecutionDescription;
    try {
      d = await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
    if (d.type !== JOB_WORKFLOW) return null;
    const memo = d.memo as unknown as JobMemo;
    const view: JobView = { jobId, status: 'QUEUED', operation: memo.operation, createdAt: memo.createdAt };
    if (memo.idRoteiro !== undefined) view.idRoteiro = memo.idRoteiro;

    switch (d.status.name) {
      case 'RUNNING': {
        const p = await this.progressOf(jobId, d);
        view.status = p.status;
        if (p.startedAt) view.submittedAt = p.startedAt;
        view.progress = { completed: p.completed, total: p.total, percentage: Math.round(p.percent), stage: p.stage };
        if (p.percent === 0) view.estimatedCompletion = 'calculating...';
        break;
      }
      case 'COMPLETED': {
        const outcome = (await handle.result()) as JobOutcome;
        view.status = 'COMPLETED';
        view.result = memo.processor === 'VPS'
          ? { success: true, ...outcome.result, message: `${memo.operation} completed successfully` }
          : { ...outcome.result, execution: outcome.execution };
        view.submittedAt = outcome.execution.startTime;
        break;
      }
      case 'FAILED':
      case 'TIMED_OUT': {
        view.status = 'FAILED';
        view.error = await this.failureOf(handle);
        break;
      }
      default:
        view.status = 'CANCELLED';
    }
    if (d.closeTime) view.completedAt = d.closeTime.toISOString();
    if (memo.webhookUrl) view.webhook = await this.webhookOf(jobId, memo.webhookUrl);
    if (view.webhook && !view.webhook.delivered && !view.webhook.pending && view.webhook.gaveUpReason) {
      view.error = `${view.error ?? ''}${view.error ? ' | ' : ''}Webhook failed: ${view.webhook.gaveUpReason}`;
    }
    return view;
  }

  /** The progress query needs a live worker; fall back to the search attribute when none answers. */
  private async progressOf(jobId: string, d: WorkflowExecutionDescription): Promise<JobProgress> {
    const fallback: JobProgress = {
      status: d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.status) === 'PROCESSING' ? 'PROCESSING' : 'QUEUED',
      stage: 'unknown',
      percent: 0,
      completed: 0,
      total: 1,
    };
    const timeout = new Promise<JobProgress>((resolve) => setTimeout(() => resolve(fallback), 3000).unref());
    return Promise.race([this.client.workflow.getHandle(jobId).query(progressQuery).catch(() => fallback), timeout]);
  }

  private async failureOf(handle: ReturnType<Client['workflow']['getHandle']>): Promise<string> {
    try {
      await handle.result();
      return 'unknown failure';
    } catch (err) {
      if (err instanceof WorkflowFailedError) return err.cause?.message ?? err.message;
      return (err as Error).message;
    }
  }

  private async webhookOf(jobId: string, url: string): Promise<JobView['webhook']> {
    const handle = this.client.workflow.getHandle(webhookWorkflowId(jobId));
    try {
      const d = await handle.describe();
      if (d.status.name === 'RUNNING') {
        const attempts = await handle.query(webhookAttemptsQuery).catch(() => [] as WebhookAttempt[]);
        return { url, delivered: false, pending: true, attempts };
      }
      if (d.status.name === 'COMPLETED') {
        const r = (await handle.result()) as WebhookDeliveryResult;
        return { url, delivered: r.delivered, pending: false, attempts: r.attempts, gaveUpReason: r.gaveUpReason };
      }
      return { url, delivered: false, pending: false, attempts: [], gaveUpReason: `delivery ${d.status.name.toLowerCase()}` };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { url, delivered: false, pending: true, attempts: [] };
      throw err;
    }
  }

  async cancel(jobId: string): Promise<{ ok: true } | { ok: false; code: 404 | 400; status?: JobStatus }> {
    const view = await this.get(jobId);
    if (!view) return { ok: false, code: 404 };
    if (view.status !== 'QUEUED' && view.status !== 'PROCESSING') return { ok: false, code: 400, status: view.status };
    await this.client.workflow.getHandle(jobId).cancel();
    return { ok: true };
  }

  /** Visibility query for GET /jobs filters. */
  static listQuery(f: { status?: JobStatus; operation?: string; idRoteiro?: number }): string {
    const parts = [`WorkflowType='${JOB_WORKFLOW}'`];
    const byStatus: Record<JobStatus, string> = {
      QUEUED: `ExecutionStatus='Running' AND AutoDarkStatus='QUEUED'`,
      PROCESSING: `ExecutionStatus='Running' AND AutoDarkStatus='PROCESSING'`,
      COMPLETED: `ExecutionStatus='Completed'`,
      FAILED: `(ExecutionStatus='Failed' OR ExecutionStatus='TimedOut')`,
      CANCELLED: `(ExecutionStatus='Canceled' OR ExecutionStatus='Terminated')`,
    };
    if (f.status) parts.push(byStatus[f.status]);
    if (f.operation) parts.push(`AutoDarkOperation='${f.operation.replace(/'/g, '')}'`);
    if (f.idRoteiro !== undefined) parts.push(`AutoDarkIdRoteiro=${Math.trunc(f.idRoteiro)}`);
    return parts.join(' AND ');
  }

  async list(f: { status?: JobStatus; operation?: string; idRoteiro?: number; limit: number; cursor?: string }) {
    const raw = await this.client.workflowService.listWorkflowExecutions({
      namespace: this.opts.namespace,
      query: JobService.listQuery(f),
      pageSize: f.limit,
      nextPageToken: f.cursor ? Buffer.from(f.cursor, 'base64url') : undefined,
    });
    const jobs = await Promise.all(
      (raw.executions ?? []).map(async (e) => {
        const info = await executionInfoFromRaw(e, this.client.options.loadedDataConverter, {}, this.opts.namespace);
        const memo = info.memo as unknown as JobMemo;
        const saStatus = info.typedSearchAttributes.get(SEARCH_ATTRIBUTES.status);
        const status: JobStatus =
          info.status.name === 'RUNNING' ? (saStatus === 'PROCESSING' ? 'PROCESSING' : 'QUEUED')
          : info.status.name === 'COMPLETED' ? 'COMPLETED'
          : info.status.name === 'FAILED' || info.status.name === 'TIMED_OUT' ? 'FAILED'
          : 'CANCELLED';
        return {
          jobId: info.workflowId,
          status,
          operation: memo?.operation,
          ...(memo?.idRoteiro !== undefined ? { idRoteiro: memo.idRoteiro } : {}),
          createdAt: memo?.createdAt,
          ...(info.closeTime ? { completedAt: info.closeTime.toISOString() } : {}),
          statusUrl: `/jobs/${info.workflowId}`,
        };
      }),
    );
    const token = raw.nextPageToken && raw.nextPageToken.length ? Buffer.from(raw.nextPageToken).toString('base64url') : undefined;
    return { jobs, nextCursor: token ?? null };
  }

  async count(query: string): Promise<number> {
    return (await this.client.workflow.count(query)).count;
  }
}
