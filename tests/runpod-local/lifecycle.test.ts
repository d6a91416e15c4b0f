/**
 * How jobs end when things go wrong or are called off: cancel stops the worker's whole process group,
 * a dying worker gets its job requeued once, executionTimeout and ttl give TIMED_OUT, purge-queue
 * empties the queue, and a worker command that cannot start fails the queue instead of looping.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { LocalEndpoint } from '../../runpod-local/main';
import { clientFor, processExists, PYTHON, settled, startTestEndpoint, waitUntil } from './helpers';

let endpoint: LocalEndpoint | undefined;
let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'runpod-local-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

it('cancels a running job: CANCELLED, and the worker and the processes it started are gone', async () => {
  endpoint = await startTestEndpoint();
  const api = clientFor(endpoint);
  const { id } = await api.run({ input: { action: 'hold_child' } });
  const running = await api.waitFor(id, (s) => s.status === 'IN_PROGRESS' && typeof s.output === 'object');
  const { worker_pid: workerPid, child_pid: childPid } = running.output as { worker_pid: number; child_pid: number };
  expect(processExists(workerPid) && processExists(childPid)).toBe(true);

  expect(await api.cancel(id)).toEqual({ id, status: 'CANCELLED' });
  await waitUntil(() => !processExists(workerPid) && !processExists(childPid), 20_000, () => `pids ${workerPid}/${childPid} still alive`);
  expect(await api.status(id)).toMatchObject({ id, status: 'CANCELLED' });
  expect(endpoint.stats()[0].workers).toHaveLength(0);
  expect((await api.health()).jobs.inProgress).toBe(0);
});

it('requeues the job of a worker that crashed once; a job whose second worker dies too is FAILED naming the exit', async () => {
  endpoint = await startTestEndpoint();
  const api = clientFor(endpoint);

  const recovered = await api.runsync({ input: { action: 'crash_once', marker: join(scratch, 'crashed-once') } });
  expect(recovered).toMatchObject({ status: 'COMPLETED', output: { recovered: true } });
  expect((await api.health()).jobs.retried).toBe(1);

  const doomed = await api.runsync({ input: { action: 'crash' } });
  expect(doomed.status).toBe('FAILED');
  expect(doomed.error).toMatch(/exited with code 3 while running this job/);
  expect((await api.health()).jobs).toMatchObject({ retried: 2, failed: 1 });
  expect(endpoint.stats()[0].counters.workerDeaths).toBe(3);

  // The endpoint keeps serving with fresh workers.
  expect((await api.runsync({ input: { action: 'echo', value: 'still here' } })).output).toMatchObject({ echo: 'still here' });
});

it('turns a job that runs past policy.executionTimeout into TIMED_OUT and stops its worker', async () => {
  endpoint = await startTestEndpoint();
  const api = clientFor(endpoint);
  const { id } = await api.run({ input: { action: 'hold_child' }, policy: { executionTimeout: 6000 } });
  const running = await api.waitFor(id, (s) => s.status === 'IN_PROGRESS' && typeof s.output === 'object');
  const { worker_pid: workerPid } = running.output as { worker_pid: number };

  const done = await api.waitFor(id, settled);
  expect(done.status).toBe('TIMED_OUT');
  expect(done.error).toMatch(/executionTimeout of 6000 ms/);
  await waitUntil(() => !processExists(workerPid), 20_000, () => `worker ${workerPid} still alive`);
});

it('turns a job still queued when its policy.ttl runs out into TIMED_OUT without running it', async () => {
  endpoint = await startTestEndpoint({ maxWorkers: 1 });
  const api = clientFor(endpoint);
  const blocker = await api.run({ input: { action: 'hold_child' } });
  await api.waitFor(blocker.id, (s) => s.status === 'IN_PROGRESS');
  const { id } = await api.run({ input: { action: 'echo' }, policy: { ttl: 10_000 } });

  const expired = await api.waitFor(id, settled, 40_000);
  expect(expired.status).toBe('TIMED_OUT');
  expect(expired.workerId).toBeUndefined();
  expect(expired.error).toMatch(/ttl of 10000 ms/);
  expect((await api.status(blocker.id)).status).toBe('IN_PROGRESS');
  await api.cancel(blocker.id);
});

it('purge-queue removes the queued jobs and lets the running one finish', async () => {
  endpoint = await startTestEndpoint({ maxWorkers: 1 });
  const api = clientFor(endpoint);
  const running = await api.run({ input: { action: 'sleep', steps: 3, step_s: 1 } });
  await api.waitFor(running.id, (s) => s.status === 'IN_PROGRESS');
  const queued = [(await api.run({ input: { action: 'echo' } })).id, (await api.run({ input: { action: 'echo' } })).id];

  const res = await api.post('/purge-queue');
  expect(await res.json()).toEqual({ removed: 2, status: 'completed' });
  for (const id of queued) expect((await api.status(id)).status).toBe('CANCELLED');
  expect((await api.health()).jobs.inQueue).toBe(0);
  expect((await api.waitFor(running.id, settled)).status).toBe('COMPLETED');
});

it('fails queued jobs with the worker output when the worker command keeps dying at start', async () => {
  endpoint = await startTestEndpoint({
    endpoints: [{ id: 'test', command: [PYTHON, '-c', 'import sys; print("model weights not found"); sys.exit(4)'] }],
  });
  const api = clientFor(endpoint);
  const done = await api.runsync({ input: { action: 'echo' } });
  expect(done.status).toBe('FAILED');
  expect(done.error).toMatch(/failed to start 3 times in a row; last one exited with code 4/);
  expect(done.error).toMatch(/model weights not found/);
});
