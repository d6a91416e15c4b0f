/**
 * Worker processes come and go with demand: a cold start shows in delayTime, MAX_WORKERS bounds the
 * processes (extra jobs wait IN_QUEUE), and idle workers are stopped.
 */
import { afterEach, expect, it } from 'vitest';
import type { LocalEndpoint } from '../../runpod-local/main';
import { behavioursCommand, clientFor, processExists, settled, startTestEndpoint, waitUntil } from './helpers';

let endpoint: LocalEndpoint | undefined;

afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

it('starts from zero workers: the first job carries the cold start in delayTime, a warm second job does not', async () => {
  // The worker sleeps 2 s before taking jobs, like a handler loading a model.
  endpoint = await startTestEndpoint({ endpoints: [{ id: 'test', command: behavioursCommand(2) }] });
  const api = clientFor(endpoint);
  expect(endpoint.stats()[0].workers).toHaveLength(0);

  const cold = await api.runsync({ input: { action: 'echo', value: 'cold' } });
  const warm = await api.runsync({ input: { action: 'echo', value: 'warm' } });
  expect(cold.status).toBe('COMPLETED');
  expect(warm.status).toBe('COMPLETED');
  expect(cold.delayTime).toBeGreaterThanOrEqual(2000);
  expect(warm.delayTime).toBeLessThan(cold.delayTime as number);
  expect(warm.workerId).toBe(cold.workerId);
  expect(endpoint.stats()[0].counters.workersStarted).toBe(1);
});

it('never runs more than MAX_WORKERS processes: with 2 workers a third slow job waits IN_QUEUE', async () => {
  endpoint = await startTestEndpoint({ maxWorkers: 2 });
  const api = clientFor(endpoint);
  const slow = { input: { action: 'sleep', steps: 4, step_s: 1 } };
  const ids = [(await api.run(slow)).id, (await api.run(slow)).id, (await api.run(slow)).id];

  let maxProcesses = 0;
  const observe = () => {
    maxProcesses = Math.max(maxProcesses, endpoint!.stats()[0].workers.length);
  };
  await waitUntil(async () => {
    observe();
    const states = await Promise.all(ids.map(async (id) => (await api.status(id)).status));
    return states.filter((s) => s === 'IN_PROGRESS').length === 2;
  }, 60_000, () => 'two jobs running');
  const states = await Promise.all(ids.map(async (id) => (await api.status(id)).status));
  expect(states.filter((s) => s === 'IN_QUEUE')).toHaveLength(1);
  const health = await api.health();
  expect(health.jobs).toMatchObject({ inProgress: 2, inQueue: 1 });
  expect(health.workers.running).toBe(2);

  for (const id of ids) {
    await waitUntil(async () => {
      observe();
      return settled(await api.status(id));
    }, 60_000, () => `job ${id} settles`);
    expect((await api.status(id)).status).toBe('COMPLETED');
  }
  expect(maxProcesses).toBe(2);
  expect(endpoint.stats()[0].counters.workersStarted).toBe(2);
});

it('stops workers that stay idle past the idle timeout', async () => {
  endpoint = await startTestEndpoint({ idleTimeoutMs: 1500 });
  const api = clientFor(endpoint);
  const done = await api.runsync({ input: { action: 'echo' } });
  const pid = (done.output as { worker_pid: number }).worker_pid;
  expect(processExists(pid)).toBe(true);

  await waitUntil(() => endpoint!.stats()[0].workers.length === 0, 30_000, () => JSON.stringify(endpoint!.stats()));
  await waitUntil(() => !processExists(pid), 10_000, () => `worker pid ${pid} still running`);
  const health = await api.health();
  expect(health.workers).toMatchObject({ idle: 0, running: 0, initializing: 0 });
  expect(endpoint.stats()[0].counters.workersStopped).toBe(1);

  // A new job scales back up from zero.
  expect((await api.runsync({ input: { action: 'echo', value: 'again' } })).output).toMatchObject({ echo: 'again' });
  expect(endpoint.stats()[0].counters.workersStarted).toBe(2);
});
