/** Work dirs left by a worker that died hard are swept by the next one; live owners' dirs are kept. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeWorkDir, sweepOrphanedWorkDirs } from '../../common/work-dirs';

const root = mkdtempSync(join(tmpdir(), 'autodark-workdirs-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** a process that keeps running until killed */
function sleeper() {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { pid: child.pid!, kill: async () => (child.kill('SIGKILL'), exited) };
}

describe('sweepOrphanedWorkDirs', () => {
  it('removes the dirs of processes killed with -9, keeps those of live processes and anything else', async () => {
    const dead = sleeper();
    const live = sleeper();
    const deadDir = join(root, `autodark-5a1e0e8c-0000-4000-8000-000000000001-p${dead.pid}-Ab12Cd`);
    mkdirSync(join(deadDir, 'out'), { recursive: true }); // with contents, as a job's dir has
    const liveDir = join(root, `autodark-probe-job2-p${live.pid}-Ef34Gh`);
    mkdirSync(liveDir);
    const mine = await makeWorkDir(root, 'job3');
    const unrelated = ['autodark-old-style-XyZ123', 'something-else-p1-abc'].map((n) => join(root, n));
    unrelated.forEach((d) => mkdirSync(d));
    await dead.kill();

    const removed = await sweepOrphanedWorkDirs(root);
    expect(removed).toEqual([deadDir.split('/').pop()]);
    expect(existsSync(deadDir)).toBe(false);
    for (const kept of [liveDir, mine, ...unrelated]) expect(existsSync(kept)).toBe(true);
    expect(mine).toMatch(new RegExp(`/autodark-job3-p${process.pid}-[^-/]+$`));

    await live.kill();
    expect(await sweepOrphanedWorkDirs(root)).toEqual([liveDir.split('/').pop()]);
    expect(readdirSync(root).sort()).toEqual([mine, ...unrelated].map((d) => d.split('/').pop()).sort());
  });
});
