/** The chromium browser processes this test process started (playwright spawns them as children). */
import { execFileSync } from 'node:child_process';

export function chromiumChildren(): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there is no child at all
  }
  return out
    .split('\n')
    .filter((line) => /chromium/.test(line) && /--remote-debugging-pipe/.test(line))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills the browser the way the OOM killer would, and waits until it is gone. */
export async function killChromium(): Promise<number[]> {
  const pids = chromiumChildren();
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && pids.some(isAlive); i++) await new Promise((r) => setTimeout(r, 50));
  return pids;
}

export async function waitUntil(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
