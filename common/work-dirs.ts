/**
 * Job work dirs: RAM-backed /dev/shm when present, named `autodark-<what>-p<pid>-XXXXXX` after the
 * worker process that owns them. A worker that dies hard (kill -9, OOM) cannot remove its dirs, and
 * Temporal retries the job elsewhere with a fresh one, so every worker sweeps, when it starts, the dirs
 * whose owner process is gone. Dirs of live processes (other workers on this host) are left alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OWNED = /^autodark-.+-p(\d+)-[^-]+$/;

export function jobTempRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/** a fresh dir for one job's files, owned by this process */
export function makeWorkDir(root: string, what: string): Promise<string> {
  return mkdtemp(join(root, `autodark-${what}-p${process.pid}-`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
  // a killed process nobody has reaped yet (a zombie) still answers signal 0
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return true;
  }
}

/** removes the work dirs under `root` whose owner process no longer exists; returns their names */
export async function sweepOrphanedWorkDirs(root: string = jobTempRoot()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = Number(OWNED.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    await rm(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
