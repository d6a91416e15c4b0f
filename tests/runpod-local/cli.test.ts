/**
 * The CLI as a user starts it (`npx tsx runpod-local/main.ts`, configured by environment): it serves
 * jobs with the configured worker command, refuses to start without a key, and on SIGTERM stops its
 * workers before exiting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, expect, it } from 'vitest';
import { API_KEY, BEHAVIOURS, processExists, PYTHON, REPO, waitUntil } from './helpers';

let cli: ChildProcess | undefined;

afterEach(() => {
  if (cli?.exitCode === null) cli.kill('SIGKILL');
  cli = undefined;
});

interface StartedCli {
  child: ChildProcess;
  /** the server's URL and the pid of the node process serving it (tsx runs it as a child) */
  listening: Promise<{ url: string; pid: number }>;
  exit: Promise<number | null>;
  output: string[];
}

function startCli(env: Record<string, string>): StartedCli {
  // tsx directly (npx would sit between us and the signals); info level for the "listening" line.
  const child = spawn(join(REPO, 'node_modules/.bin/tsx'), ['runpod-local/main.ts'], {
    cwd: REPO,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const listening = new Promise<{ url: string; pid: number }>((resolve) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        output.push(line);
        const match = /"pid":(\d+).*"url":"(http:[^"]+)".*local RunPod endpoint listening/.exec(line);
        if (match) resolve({ pid: Number(match[1]), url: match[2] });
      });
    }
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, listening, exit, output };
}

it('serves RunPod jobs on the configured endpoints and stops its workers on SIGTERM', async () => {
  const started = startCli({
    RUNPOD_LOCAL_API_KEY: API_KEY,
    RUNPOD_LOCAL_PORT: '0',
    RUNPOD_LOCAL_ENDPOINTS: 'autodark-gpu,second',
    GPU_WORKER_COMMAND: `${PYTHON} -u ${BEHAVIOURS}`,
    MAX_WORKERS: '1',
  });
  cli = started.child;
  const { url } = await started.listening;
  const res = await fetch(`${url}/v2/second/runsync`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ input: { action: 'echo', value: 'from the CLI' } }),
  });
  const body = (await res.json()) as { status: string; output: { echo: string; worker_pid: number } };
  expect(body).toMatchObject({ status: 'COMPLETED', output: { echo: 'from the CLI' } });

  cli.kill('SIGTERM');
  expect(await started.exit).toBe(0);
  await waitUntil(() => !processExists(body.output.worker_pid), 10_000, () => 'worker outlived the CLI');
});

it('leaves no worker behind when the server process is killed outright (SIGKILL)', async () => {
  const started = startCli({ RUNPOD_LOCAL_API_KEY: API_KEY, RUNPOD_LOCAL_PORT: '0', GPU_WORKER_COMMAND: `${PYTHON} -u ${BEHAVIOURS}` });
  cli = started.child;
  const { url, pid: serverPid } = await started.listening;
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  const { id } = (await (await fetch(`${url}/v2/autodark-gpu/run`, { method: 'POST', headers, body: JSON.stringify({ input: { action: 'hold_child' } }) })).json()) as { id: string };
  let pids: { worker_pid: number; child_pid: number } | undefined;
  await waitUntil(async () => {
    const status = (await (await fetch(`${url}/v2/autodark-gpu/status/${id}`, { headers })).json()) as { output?: typeof pids };
    pids = status.output;
    return pids?.child_pid !== undefined;
  }, 60_000, () => 'the job reports its pids');

  process.kill(serverPid, 'SIGKILL');
  await waitUntil(() => !processExists(pids!.worker_pid) && !processExists(pids!.child_pid), 10_000, () => `worker ${pids!.worker_pid} or its child outlived the server`);
});

it('refuses to start without RUNPOD_LOCAL_API_KEY, saying so', async () => {
  const env = { RUNPOD_LOCAL_PORT: '0', RUNPOD_LOCAL_API_KEY: '' };
  const started = startCli(env);
  cli = started.child;
  expect(await started.exit).toBe(1);
  expect(started.output.join('\n')).toMatch(/RUNPOD_LOCAL_API_KEY/);
});
