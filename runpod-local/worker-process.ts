/**
 * One worker OS process. It runs in its own process group, so stopping it also stops what it started
 * (the runpod SDK's heartbeat process, ffmpeg, CUDA helpers) and the GPU memory is really freed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '../common/logger';

const TAIL_LINES = 20;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** set when the command could not be started at all (missing executable, bad cwd) */
  spawnError?: Error;
}

export interface WorkerProcessOptions {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  onLine(line: string): void;
  onExit(info: ExitInfo): void;
}

export class WorkerProcess {
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private exited = false;
  private killTimer?: NodeJS.Timeout;
  private markExited!: () => void;
  /** resolves once the process has exited and its group was cleared */
  readonly exitedPromise = new Promise<void>((resolve) => {
    this.markExited = resolve;
  });

  constructor(private readonly options: WorkerProcessOptions) {
    const [command, ...args] = options.argv;
    this.child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.line(line));
    }
    this.child.once('error', (error) => {
      if (this.child.pid === undefined) this.finish({ code: null, signal: null, spawnError: error });
    });
    this.child.once('exit', (code, signal) => this.finish({ code, signal }));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** The last lines the worker printed, for failure messages. */
  outputTail(): string {
    return this.tail.join('\n');
  }

  /** SIGTERM to the whole group (lets a handler clean up), SIGKILL after `graceMs`. */
  stop(graceMs: number): void {
    if (this.exited) return;
    this.signalGroup('SIGTERM');
    this.killTimer ??= setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
  }

  private line(line: string): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    this.options.onLine(line);
  }

  private finish(info: ExitInfo): void {
    if (this.exited) return;
    this.exited = true;
    clearTimeout(this.killTimer);
    // The leader is gone; anything it left in its group (heartbeat process, grandchildren) goes too.
    this.signalGroup('SIGKILL');
    this.options.onExit(info);
    this.markExited();
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // ESRCH: the group is already empty
    }
  }
}

/** Describes how a worker ended, for logs and job errors. */
export function describeExit(info: ExitInfo): string {
  if (info.spawnError) return `could not start: ${info.spawnError.message}`;
  if (info.signal) return `killed by ${info.signal}`;
  return `exited with code ${info.code}`;
}

/** The SDK prints JSON lines ({message, level, requestId}) on RunPod; anything else is logged as is. */
export function logWorkerLine(log: Logger, line: string): void {
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed && typeof parsed === 'object' && 'message' in parsed) {
      const { message, level, requestId } = parsed as { message: unknown; level?: unknown; requestId?: unknown };
      const fields = { workerLevel: level, ...(requestId ? { jobId: requestId } : {}) };
      if (level === 'ERROR') log.warn(fields, String(message));
      else log.info(fields, String(message));
      return;
    }
  } catch {
    // plain text
  }
  log.info(line);
}
