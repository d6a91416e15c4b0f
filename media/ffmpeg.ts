/**
 * Runs one ffmpeg invocation: no shell, progress from `-progress pipe:1`, killed when the job is
 * cancelled, and failures that carry the exit code and the end of stderr (where ffmpeg explains).
 */
import { spawn } from 'node:child_process';

export interface RunFfmpegOptions {
  signal: AbortSignal;
  /** media time the invocation produces; enables onProgress fractions */
  durationSeconds?: number;
  onProgress?(fraction: number): void;
  cwd?: string;
}

const STDERR_TAIL_LINES = 15;
/** after SIGTERM ffmpeg tries to finish its file; we are throwing it away, so do not wait long */
const KILL_GRACE_MS = 1000;

export class FfmpegError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly stderrTail: string,
    readonly argv: string[],
    signalName?: string | null,
  ) {
    super(`${exitCode === null ? `ffmpeg was killed by ${signalName ?? 'a signal'}` : `ffmpeg exited with code ${exitCode}`}${stderrTail ? `:\n${stderrTail}` : ''}`);
    this.name = 'FfmpegError';
  }
}

export function runFfmpeg(argv: string[], opts: RunFfmpegOptions): Promise<void> {
  const { signal } = opts;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  const fullArgv = ['-hide_banner', '-nostdin', '-y', '-progress', 'pipe:1', '-nostats', ...argv];

  return new Promise<void>((resolve, reject) => {
    const child = spawn('ffmpeg', fullArgv, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr = new LineTail(STDERR_TAIL_LINES);
    let killTimer: NodeJS.Timeout | undefined;

    const onAbort = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    };
    signal.addEventListener('abort', onAbort, { once: true });

    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (!opts.onProgress || !opts.durationSeconds) return;
      for (const line of lines) {
        // out_time_us is the muxed media time; "N/A" before the first packet
        const m = /^out_time_us=(\d+)/.exec(line);
        if (m) opts.onProgress(Math.min(1, Number(m[1]) / 1e6 / opts.durationSeconds));
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => stderr.push(chunk));

    child.once('error', (err) => {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      reject(signal.aborted ? abortReason(signal) : err);
    });
    child.once('close', (code, sig) => {
      signal.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      if (signal.aborted) return reject(abortReason(signal));
      if (code === 0) {
        opts.onProgress?.(1);
        return resolve();
      }
      reject(new FfmpegError(code, stderr.text(), fullArgv, sig));
    });
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('cancelled');
}

/** Keeps the last N lines of a stream without holding all of it. */
class LineTail {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly max: number) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n|\r/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) if (line.trim()) this.lines.push(line);
    if (this.lines.length > this.max) this.lines = this.lines.slice(-this.max);
    if (this.partial.length > 8192) this.partial = this.partial.slice(-8192);
  }

  text(): string {
    const all = this.partial.trim() ? [...this.lines, this.partial] : this.lines;
    return all.slice(-this.max).join('\n');
  }
}
