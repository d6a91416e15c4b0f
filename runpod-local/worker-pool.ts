/**
 * The queue and the worker processes of one endpoint: scales from zero up to maxWorkers on demand,
 * hands jobs to workers that long-poll job-take, enforces executionTimeout and ttl, stops idle
 * workers, and accounts for workers that die.
 *
 * A worker that dies while running a job (crash, OOM kill) gets the job requeued once, as RunPod's
 * queue does (counted in /health jobs.retried); a job whose second worker dies too is FAILED, naming
 * the worker's exit. Jobs already CANCELLED or TIMED_OUT stay so: we killed that worker ourselves.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../common/logger';
import { isSettled, statusBody, type JobRecord, type JobStatus, type JobStore, type StatusBody } from './job-store';
import { describeExit, logWorkerLine, WorkerProcess, type ExitInfo } from './worker-process';
import type { WorkerReaper } from './worker-reaper';

/** A worker whose command dies this many times in a row before taking any job fails the queue. */
const START_FAILURES_BEFORE_GIVING_UP = 3;
/** How many times a worker death may requeue the same job. */
const CRASH_RETRIES = 1;

export interface EndpointSpec {
  id: string;
  /** argv of the worker, run without a shell */
  command: string[];
  env?: Record<string, string>;
}

export interface PoolSettings {
  maxWorkers: number;
  idleTimeoutMs: number;
  /** SIGTERM -> SIGKILL grace when stopping a worker */
  killGraceMs: number;
  cwd: string;
  store: JobStore;
  logger: Logger;
  /** kills the workers' groups should this server die without stopping them */
  reaper: WorkerReaper;
  /** environment for a new worker (protocol URLs, keys) */
  envFor(podId: string): NodeJS.ProcessEnv;
  /** called once per job when it reaches a final state (webhooks) */
  onSettled(job: JobRecord): void;
}

interface Waiter<T> {
  resolve(value: T): void;
  timer: NodeJS.Timeout;
}

interface Worker {
  podId: string;
  process: WorkerProcess;
  startedAt: number;
  jobs: Set<JobRecord>;
  /** reached job-take at least once: initialization (model loading) is over */
  ready: boolean;
  /** why we are stopping it; set once */
  stopping?: string;
  take?: Waiter<JobRecord[]> & { max: number };
  stopPolls: Set<Waiter<void>>;
  idleTimer?: NodeJS.Timeout;
  lastPingAt?: number;
  /** reason from an unhealthy fitness-check ping */
  unhealthy?: string;
}

const SETTLED_COUNTER: Partial<Record<JobStatus, 'completed' | 'failed' | 'cancelled' | 'timedOut'>> = {
  COMPLETED: 'completed', FAILED: 'failed', CANCELLED: 'cancelled', TIMED_OUT: 'timedOut',
};

export interface EndpointCounters {
  submitted: number;
  completed: number;
  failed: number;
  cancelled: number;
  timedOut: number;
  retried: number;
  workersStarted: number;
  workersStopped: number;
  workerDeaths: number;
}

export interface HealthBody {
  jobs: { completed: number; failed: number; inProgress: number; inQueue: number; retried: number };
  workers: { idle: number; initializing: number; ready: number; running: number; throttled: number; unhealthy: number };
}

export interface WorkerStats {
  podId: string;
  pid: number | undefined;
  state: 'initializing' | 'idle' | 'running' | 'stopping';
  jobIds: string[];
  startedAt: number;
  lastPingAt?: number;
}

export interface EndpointStats {
  endpointId: string;
  maxWorkers: number;
  inQueue: number;
  counters: EndpointCounters;
  workers: WorkerStats[];
}

export class WorkerPool {
  private readonly queue: JobRecord[] = [];
  private readonly workers = new Map<string, Worker>();
  private readonly executionTimers = new Map<string, NodeJS.Timeout>();
  private readonly counters: EndpointCounters = {
    submitted: 0, completed: 0, failed: 0, cancelled: 0, timedOut: 0, retried: 0, workersStarted: 0, workersStopped: 0, workerDeaths: 0,
  };
  private startFailures = 0;
  private closing = false;

  constructor(readonly spec: EndpointSpec, private readonly settings: PoolSettings) {}

  /** RunPod answers 429 once the queue exceeds 50 jobs and MAX_WORKERS * 500. */
  get queueFull(): boolean {
    return this.queue.length >= Math.max(50, this.settings.maxWorkers * 500);
  }

  submit(job: JobRecord): void {
    this.counters.submitted += 1;
    this.enqueue(job);
  }

  cancel(job: JobRecord): StatusBody {
    if (job.status === 'IN_QUEUE') {
      this.dequeue(job);
      this.settle(job, 'CANCELLED');
    } else if (job.status === 'IN_PROGRESS') {
      const worker = job.workerId ? this.workers.get(job.workerId) : undefined;
      this.settle(job, 'CANCELLED');
      if (worker) this.stopWorker(worker, `job ${job.id} cancelled`);
    }
    return { id: job.id, status: job.status };
  }

  /** Requeues a FAILED or TIMED_OUT job under the same id; false for any other state. */
  retry(job: JobRecord): boolean {
    if (job.status !== 'FAILED' && job.status !== 'TIMED_OUT') return false;
    job.output = undefined;
    job.error = undefined;
    job.startedAt = undefined;
    job.settledAt = undefined;
    job.workerId = undefined;
    job.attempts = 0;
    job.pendingStream = [];
    this.counters.retried += 1;
    this.enqueue(job);
    return true;
  }

  /** Removes every queued job (they become CANCELLED); running jobs go on. */
  purgeQueue(): number {
    const purged = this.queue.splice(0);
    for (const job of purged) this.settle(job, 'CANCELLED');
    return purged.length;
  }

  /** Queued jobs past their ttl become TIMED_OUT (called periodically). */
  expireQueued(now = Date.now()): void {
    for (const job of [...this.queue]) {
      if (now - job.queuedAt < job.ttlMs) continue;
      this.dequeue(job);
      this.settle(job, 'TIMED_OUT', { error: `job waited in the queue longer than its ttl of ${job.ttlMs} ms` });
    }
  }

  // ----- worker side -----

  isWorker(podId: string): boolean {
    return this.workers.has(podId);
  }

  /**
   * job-take long-poll: resolves with up to `max` jobs, or [] after `holdMs` (the SDK then asks
   * again) or when the worker is being stopped. Undefined: not one of our workers.
   */
  take(podId: string, max: number, holdMs: number): Promise<JobRecord[]> | undefined {
    const worker = this.workers.get(podId);
    if (!worker) return undefined;
    if (worker.stopping) return Promise.resolve([]);
    if (!worker.ready) {
      worker.ready = true;
      this.startFailures = 0;
      this.settings.logger.info({ endpointId: this.spec.id, podId, readyInMs: Date.now() - worker.startedAt }, 'worker ready');
    }
    const jobs = this.takeQueued(max);
    if (jobs.length > 0) {
      this.assign(worker, jobs);
      return Promise.resolve(jobs);
    }
    // The idle clock runs from the end of the last job (or from readiness), not from each poll.
    if (worker.jobs.size === 0 && worker.idleTimer === undefined) this.armIdleTimer(worker);
    this.releaseTake(worker);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.releaseTake(worker), holdMs);
      worker.take = { resolve, timer, max };
    });
  }

  /** The worker's job-take connection went away before we answered: stop holding jobs for it. */
  abandonTake(podId: string): void {
    const worker = this.workers.get(podId);
    if (worker) this.releaseTake(worker);
  }

  /**
   * job-stop long-poll (SDK >= 1.12 derives it from the job-take URL). We stop jobs by stopping the
   * whole worker process group, so this only holds the poll open and never names a job.
   */
  holdStopPoll(podId: string, holdMs: number): Promise<void> | undefined {
    const worker = this.workers.get(podId);
    if (!worker) return undefined;
    if (worker.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter<void> = {
        resolve: () => {
          clearTimeout(waiter.timer);
          worker.stopPolls.delete(waiter);
          resolve();
        },
        timer: setTimeout(() => waiter.resolve(), holdMs),
      };
      worker.stopPolls.add(waiter);
    });
  }

  /** job-done: a progress_update ({status: IN_PROGRESS}) or the final result of a job. */
  report(podId: string, jobId: string, body: Record<string, unknown>): void {
    const job = this.settings.store.get(this.spec.id, jobId);
    const worker = this.workers.get(podId);
    if (!job || !worker || job.workerId !== podId || job.status !== 'IN_PROGRESS') return; // late or foreign: ignored
    if (body.status === 'IN_PROGRESS') {
      job.output = body.output;
      this.settings.store.changed(job);
      return;
    }
    this.release(worker, job);
    if (body.error !== undefined && body.error !== null && body.error !== '') {
      const error = typeof body.error === 'string' ? body.error : JSON.stringify(body.error);
      this.settle(job, 'FAILED', { error, ...('output' in body ? { output: body.output } : {}) });
    } else {
      this.settle(job, 'COMPLETED', { output: body.output });
    }
    // refresh_worker: the handler asked for a fresh process after this job.
    if (body.stopPod === true) this.stopWorker(worker, 'handler asked for refresh_worker');
  }

  /** job-stream: one chunk of a generator handler's output. */
  streamChunk(podId: string, jobId: string, chunk: unknown): void {
    const job = this.settings.store.get(this.spec.id, jobId);
    if (!job || job.workerId !== podId || job.status !== 'IN_PROGRESS') return;
    job.pendingStream.push(chunk);
    this.settings.store.changed(job);
  }

  /** Heartbeat; the SDK also pings once with status=unhealthy when a fitness check kills the worker. */
  ping(podId: string, query: Record<string, unknown>): boolean {
    const worker = this.workers.get(podId);
    if (!worker) return false;
    worker.lastPingAt = Date.now();
    if (query.status === 'unhealthy') {
      worker.unhealthy = `${String(query.check ?? 'fitness check')}: ${String(query.reason ?? '')}`;
      this.settings.logger.warn({ endpointId: this.spec.id, podId, reason: worker.unhealthy }, 'worker reported itself unhealthy');
    }
    return true;
  }

  // ----- reporting -----

  health(): HealthBody {
    const states = [...this.workers.values()].map(workerState);
    const count = (state: WorkerStats['state']) => states.filter((s) => s === state).length;
    let inProgress = 0;
    for (const worker of this.workers.values()) inProgress += worker.jobs.size;
    return {
      jobs: {
        completed: this.counters.completed,
        failed: this.counters.failed,
        inProgress,
        inQueue: this.queue.length,
        retried: this.counters.retried,
      },
      workers: {
        idle: count('idle'),
        initializing: count('initializing'),
        ready: count('idle'),
        running: count('running'),
        throttled: 0,
        unhealthy: [...this.workers.values()].filter((w) => w.unhealthy).length,
      },
    };
  }

  stats(): EndpointStats {
    return {
      endpointId: this.spec.id,
      maxWorkers: this.settings.maxWorkers,
      inQueue: this.queue.length,
      counters: { ...this.counters },
      workers: [...this.workers.values()].map((w) => ({
        podId: w.podId,
        pid: w.process.pid,
        state: workerState(w),
        jobIds: [...w.jobs].map((j) => j.id),
        startedAt: w.startedAt,
        lastPingAt: w.lastPingAt,
      })),
    };
  }

  /** Stops every worker and waits until their processes are gone. */
  async close(): Promise<void> {
    this.closing = true;
    const workers = [...this.workers.values()];
    for (const worker of workers) this.stopWorker(worker, 'server shutting down');
    await Promise.all(workers.map((worker) => worker.process.exitedPromise));
    for (const timer of this.executionTimers.values()) clearTimeout(timer);
    this.executionTimers.clear();
  }

  // ----- internals -----

  private enqueue(job: JobRecord, front = false): void {
    job.status = 'IN_QUEUE';
    job.queuedAt = Date.now();
    if (front) this.queue.unshift(job);
    else this.queue.push(job);
    this.settings.store.changed(job);
    this.pump();
  }

  private dequeue(job: JobRecord): void {
    const index = this.queue.indexOf(job);
    if (index >= 0) this.queue.splice(index, 1);
  }

  private takeQueued(max: number): JobRecord[] {
    return this.queue.splice(0, Math.max(1, max));
  }

  /** Hands queued jobs to waiting workers, then starts workers for what is left. */
  private pump(): void {
    if (this.closing) return;
    for (const worker of this.workers.values()) {
      if (this.queue.length === 0) break;
      if (!worker.take || worker.stopping) continue;
      const { resolve, timer, max } = worker.take;
      clearTimeout(timer);
      worker.take = undefined;
      const jobs = this.takeQueued(max);
      this.assign(worker, jobs);
      resolve(jobs);
    }
    this.scaleUp();
  }

  private scaleUp(): void {
    const live = this.workers.size; // stopping workers still hold their GPU memory until they exit
    let spare = 0;
    for (const worker of this.workers.values()) if (!worker.stopping && worker.jobs.size === 0) spare += 1;
    // lowPriority jobs run on workers that exist but never make new ones start (RunPod's policy).
    const demand = this.queue.filter((job) => !job.lowPriority).length;
    const toStart = Math.min(demand - spare, this.settings.maxWorkers - live);
    for (let i = 0; i < toStart; i += 1) this.startWorker();
  }

  private startWorker(): void {
    const podId = `${this.spec.id}-${randomBytes(6).toString('hex')}`;
    const log = this.settings.logger.child({ endpointId: this.spec.id, podId });
    const worker: Worker = {
      podId,
      startedAt: Date.now(),
      jobs: new Set(),
      ready: false,
      stopPolls: new Set(),
      process: new WorkerProcess({
        argv: this.spec.command,
        cwd: this.settings.cwd,
        env: this.settings.envFor(podId),
        onLine: (line) => logWorkerLine(log, line),
        onExit: (info) => this.onWorkerExit(worker, info),
      }),
    };
    this.workers.set(podId, worker);
    if (worker.process.pid !== undefined) this.settings.reaper.track(worker.process.pid);
    this.counters.workersStarted += 1;
    log.info({ pid: worker.process.pid, command: this.spec.command }, 'worker started');
  }

  private assign(worker: Worker, jobs: JobRecord[]): void {
    clearTimeout(worker.idleTimer);
    worker.idleTimer = undefined;
    const now = Date.now();
    for (const job of jobs) {
      job.status = 'IN_PROGRESS';
      job.startedAt = now;
      job.workerId = worker.podId;
      job.attempts += 1;
      worker.jobs.add(job);
      this.executionTimers.set(job.id, setTimeout(() => this.timeOut(job), job.executionTimeoutMs));
      this.settings.store.changed(job);
      this.settings.logger.info({ endpointId: this.spec.id, podId: worker.podId, jobId: job.id, delayTime: now - job.queuedAt }, 'job started');
    }
  }

  /** The job leaves its worker (finished, failed, or the worker died). */
  private release(worker: Worker, job: JobRecord): void {
    worker.jobs.delete(job);
    clearTimeout(this.executionTimers.get(job.id));
    this.executionTimers.delete(job.id);
    if (worker.jobs.size === 0 && !worker.stopping) this.armIdleTimer(worker);
  }

  private timeOut(job: JobRecord): void {
    this.executionTimers.delete(job.id);
    if (job.status !== 'IN_PROGRESS') return;
    const worker = job.workerId ? this.workers.get(job.workerId) : undefined;
    this.settle(job, 'TIMED_OUT', { error: `job ran longer than its executionTimeout of ${job.executionTimeoutMs} ms; its worker was stopped` });
    if (worker) this.stopWorker(worker, `job ${job.id} timed out`);
  }

  private settle(job: JobRecord, status: JobStatus, fields: { output?: unknown; error?: string } = {}): void {
    if (!this.settings.store.settle(job, status, fields)) return;
    const counter = SETTLED_COUNTER[status];
    if (counter) this.counters[counter] += 1;
    const { output: _output, ...summary } = statusBody(job);
    this.settings.logger.info({ endpointId: this.spec.id, ...summary, jobId: job.id }, 'job settled');
    this.settings.onSettled(job);
  }

  private armIdleTimer(worker: Worker): void {
    clearTimeout(worker.idleTimer);
    worker.idleTimer = setTimeout(() => {
      if (worker.jobs.size === 0) this.stopWorker(worker, 'idle timeout');
    }, this.settings.idleTimeoutMs);
  }

  private releaseTake(worker: Worker): void {
    const take = worker.take;
    if (!take) return;
    clearTimeout(take.timer);
    worker.take = undefined;
    take.resolve([]);
  }

  private stopWorker(worker: Worker, reason: string): void {
    if (worker.stopping) return;
    worker.stopping = reason;
    clearTimeout(worker.idleTimer);
    this.releaseTake(worker);
    for (const poll of [...worker.stopPolls]) poll.resolve();
    this.counters.workersStopped += 1;
    this.settings.logger.info({ endpointId: this.spec.id, podId: worker.podId, reason }, 'stopping worker');
    worker.process.stop(this.settings.killGraceMs);
  }

  private onWorkerExit(worker: Worker, info: ExitInfo): void {
    this.workers.delete(worker.podId);
    if (worker.process.pid !== undefined) this.settings.reaper.untrack(worker.process.pid);
    clearTimeout(worker.idleTimer);
    this.releaseTake(worker);
    for (const poll of [...worker.stopPolls]) poll.resolve();
    const how = describeExit(info);
    const expected = worker.stopping !== undefined;
    if (!expected) this.counters.workerDeaths += 1;
    const log = this.settings.logger.child({ endpointId: this.spec.id, podId: worker.podId });
    if (expected) log.info({ exit: how }, 'worker stopped');
    else log.warn({ exit: how, lastOutput: worker.process.outputTail() }, 'worker died');

    for (const job of [...worker.jobs]) {
      this.release(worker, job);
      if (isSettled(job.status)) continue;
      if (job.attempts <= CRASH_RETRIES) {
        this.counters.retried += 1;
        job.output = undefined;
        job.pendingStream = [];
        log.warn({ jobId: job.id }, 'requeueing the job of a worker that died');
        this.enqueue(job, true);
      } else {
        this.settle(job, 'FAILED', {
          error: `worker ${worker.podId} ${how} while running this job (it had already been retried after a worker death). Last worker output:\n${worker.process.outputTail()}`,
        });
      }
    }

    if (!worker.ready && !expected) this.startFailures += 1;
    if (this.startFailures >= START_FAILURES_BEFORE_GIVING_UP) this.failQueue(how, worker.process.outputTail());
    this.pump();
  }

  /** The worker command keeps dying before it can take a job: fail what waits instead of looping. */
  private failQueue(how: string, tail: string): void {
    const error = `the worker command for endpoint "${this.spec.id}" (${this.spec.command.join(' ')}) failed to start ${this.startFailures} times in a row; last one ${how}. Last worker output:\n${tail}`;
    this.startFailures = 0;
    this.settings.logger.error({ endpointId: this.spec.id, error }, 'worker cannot start; failing queued jobs');
    for (const job of this.queue.splice(0)) this.settle(job, 'FAILED', { error });
  }
}

function workerState(worker: Worker): WorkerStats['state'] {
  if (worker.stopping) return 'stopping';
  if (!worker.ready) return 'initializing';
  return worker.jobs.size > 0 ? 'running' : 'idle';
}
