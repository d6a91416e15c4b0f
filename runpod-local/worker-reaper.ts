/**
 * Workers run in process groups of their own, so if this server dies without stopping them (SIGKILL,
 * OOM killer, a supervisor's hard kill) nothing else would: they would keep the GPU and spin on
 * connection errors. The reaper is a tiny separate process that learns every worker's process group
 * over a pipe; when the pipe closes, i.e. when this server is gone for any reason, it SIGKILLs the
 * groups still registered and exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

// Plain JavaScript for `node -e`: "+<pgid>" registers a group, "-<pgid>" forgets it.
const REAPER_SCRIPT = `
const groups = new Set();
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  const lines = pending.split('\\n');
  pending = lines.pop();
  for (const line of lines) {
    const pgid = Number(line.slice(1));
    if (line[0] === '+') groups.add(pgid);
    else groups.delete(pgid);
  }
});
process.stdin.on('end', () => {
  for (const pgid of groups) {
    try { process.kill(-pgid, 'SIGKILL'); } catch {}
  }
  process.exit(0);
});
`;

export class WorkerReaper {
  private readonly child: ChildProcess;

  constructor() {
    this.child = spawn(process.execPath, ['-e', REAPER_SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    // Neither the reaper nor its pipe may keep this process alive.
    this.child.unref();
    (this.child.stdin as Socket).unref();
    this.child.stdin?.on('error', () => undefined);
  }

  track(pgid: number): void {
    this.child.stdin?.write(`+${pgid}\n`);
  }

  untrack(pgid: number): void {
    this.child.stdin?.write(`-${pgid}\n`);
  }

  /** Lets the reaper exit (after close(), no worker is left to reap). */
  close(): void {
    this.child.stdin?.end();
  }
}
