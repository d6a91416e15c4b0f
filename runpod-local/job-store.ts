/**
 * In-memory job records of the local endpoint, in RunPod's job states. Records of settled jobs are
 * kept for a bounded time (RunPod: 30 min after /run, 1 min after /runsync) and a bounded count, so a
 * long-running server does not grow without limit.
 */
import { randomUUID } from 'node:crypto';

export type JobStatus = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT';

const SETTLED: ReadonlySet<JobStatus> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

export function isSettled(status: JobStatus): boolean {
  return SETTLED.has(status);
}

export interface NewJob {
  endpointId: string;
  input: unknown;
  s3Config?: unknown;
  webhook?: string;
  lowPriority: boolean;
  executionTimeoutMs: number;
  ttlMs: number;
  /** how long the record outlives its settlement */
  retentionMs: number;
  /** runsync ids carry RunPod's "sync-" prefix */
  sync: boolean;
}

export interface JobRecord extends NewJob {
  id: string;
  status: JobStatus;
  /** when the job (re)entered the queue: start of delayTime and of the ttl */
  queuedAt: number;
  startedAt?: number;
  settledAt?: number;
  workerId?: string;
  /** how many times a worker took this job */
  attempts: number;
  /** the result, or the latest progress_update while IN_PROGRESS */
  output?: unknown;
  error?: string;
  /** streamed chunks not yet returned by /stream */
  pendingStream: unknown[];
}

/** The body RunPod returns from /status, /runsync, /cancel and webhooks. */
export interface StatusBody {
  id: string;
  status: JobStatus;
  delayTime?: number;
  executionTime?: number;
  workerId?: string;
  output?: unknown;
  error?: string;
}

export function statusBody(job: JobRecord, now = Date.now()): StatusBody {
  const body: StatusBody = { id: job.id, status: job.status };
  if (job.startedAt !== undefined) {
    body.delayTime = job.startedAt - job.queuedAt;
    body.executionTime = (job.settledAt ?? now) - job.startedAt;
    body.workerId = job.workerId;
  }
  if (job.output !== undefined) body.output = job.output;
  if (job.error !== undefined) body.error = job.error;
  return body;
}

export class JobStore {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  constructor(private readonly maxSettledRecords: number) {}

  create(fields: NewJob, now = Date.now()): JobRecord {
    const job: JobRecord = {
      ...fields,
      id: `${fields.sync ? 'sync-' : ''}${randomUUID()}`,
      status: 'IN_QUEUE',
      queuedAt: now,
      attempts: 0,
      pendingStream: [],
    };
    this.jobs.set(job.id, job);
    return job;
  }

  get(endpointId: string, id: string): JobRecord | undefined {
    const job = this.jobs.get(id);
    return job?.endpointId === endpointId ? job : undefined;
  }

  /** Moves a job to a final state once; false when it had already settled (late results are ignored). */
  settle(job: JobRecord, status: JobStatus, fields: { output?: unknown; error?: string } = {}, now = Date.now()): boolean {
    if (isSettled(job.status)) return false;
    job.status = status;
    job.settledAt = now;
    if ('output' in fields) job.output = fields.output;
    if (fields.error !== undefined) job.error = fields.error;
    this.changed(job);
    return true;
  }

  /** Wakes everyone waiting on this job (runsync, status-sync, stream). */
  changed(job: JobRecord): void {
    const waiting = this.waiters.get(job.id);
    if (!waiting) return;
    this.waiters.delete(job.id);
    for (const wake of waiting) wake();
  }

  /** Resolves on the job's next change, or after `ms`. */
  waitForChange(job: JobRecord, ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const waiting = this.waiters.get(job.id) ?? new Set<() => void>();
      this.waiters.set(job.id, waiting);
      const wake = () => {
        clearTimeout(timer);
        waiting.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      waiting.add(wake);
    });
  }

  /** Resolves when the job has settled, or after `ms`. */
  async waitForSettled(job: JobRecord, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!isSettled(job.status) && !this.closed && Date.now() < deadline) await this.waitForChange(job, deadline - Date.now());
  }

  /** Drops settled records past their retention, then the oldest settled ones beyond the count bound. */
  sweep(now = Date.now()): void {
    let settled = 0;
    for (const job of this.jobs.values()) {
      if (job.settledAt === undefined) continue;
      if (now - job.settledAt >= job.retentionMs) this.jobs.delete(job.id);
      else settled += 1;
    }
    for (const job of this.jobs.values()) {
      if (settled <= this.maxSettledRecords) break;
      if (job.settledAt === undefined) continue;
      this.jobs.delete(job.id);
      settled -= 1;
    }
  }

  /** Releases every waiter and stops new waits (server shutdown). */
  close(): void {
    this.closed = true;
    for (const [id, waiting] of this.waiters) {
      this.waiters.delete(id);
      for (const wake of waiting) wake();
    }
  }
}
