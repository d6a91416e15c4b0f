/**
 * Official RunPod clients pointed at the local endpoint: the runpod-sdk npm package (baseUrl option)
 * and the runpod Python SDK's Endpoint (RUNPOD_ENDPOINT_BASE_URL). Also: workers keep working on a
 * machine whose ~/.runpod/config.toml holds a RunPod key, which the SDK prefers over ours.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import runpodSdk from 'runpod-sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalEndpoint } from '../../runpod-local/main';
import { API_KEY, behavioursCommand, clientFor, processExists, PYTHON, startTestEndpoint, waitUntil } from './helpers';

const run = promisify(execFile);
let endpoint: LocalEndpoint;
let fakeHome: string;

beforeAll(async () => {
  fakeHome = mkdtempSync(join(tmpdir(), 'runpod-home-'));
  mkdirSync(join(fakeHome, '.runpod'));
  writeFileSync(join(fakeHome, '.runpod', 'config.toml'), '[default]\napi_key = "rpa_SOME_REAL_RUNPOD_ACCOUNT_KEY"\n');
  endpoint = await startTestEndpoint({
    endpoints: [
      { id: 'test', command: behavioursCommand() },
      { id: 'cli-configured', command: behavioursCommand(), env: { HOME: fakeHome } },
    ],
  });
});

afterAll(async () => {
  await endpoint?.close();
  rmSync(fakeHome, { recursive: true, force: true });
});

it('serves the runpod-sdk npm client (run, status, runSync, cancel, health, purgeQueue) given our baseUrl', async () => {
  const sdkEndpoint = runpodSdk(API_KEY, { baseUrl: endpoint.baseUrl }).endpoint('test');
  if (!sdkEndpoint) throw new Error('runpod-sdk returned no endpoint');

  const submitted = await sdkEndpoint.run({ input: { action: 'echo', value: 'via runpod-sdk' } });
  expect(submitted.status).toBe('IN_QUEUE');
  await waitUntil(async () => (await sdkEndpoint.status(submitted.id)).status === 'COMPLETED', 60_000, () => 'sdk job completes');
  expect(await sdkEndpoint.status(submitted.id)).toMatchObject({ status: 'COMPLETED', output: { echo: 'via runpod-sdk' }, succeeded: true });

  const synced = await sdkEndpoint.runSync({ input: { action: 'echo', value: 'sync via sdk' } }, 60_000);
  expect(synced).toMatchObject({ status: 'COMPLETED', output: { echo: 'sync via sdk' } });

  const long = await sdkEndpoint.run({ input: { action: 'hold_child' } });
  const api = clientFor(endpoint);
  const running = await api.waitFor(long.id, (s) => s.status === 'IN_PROGRESS' && typeof s.output === 'object');
  expect(await sdkEndpoint.cancel(long.id)).toMatchObject({ id: long.id, status: 'CANCELLED' });
  const { worker_pid: workerPid } = running.output as { worker_pid: number };
  await waitUntil(() => !processExists(workerPid), 20_000, () => `worker ${workerPid} still alive`);

  const health = await sdkEndpoint.health();
  expect(health.jobs.completed).toBeGreaterThanOrEqual(2);
  expect(await sdkEndpoint.purgeQueue()).toEqual({ removed: 0, status: 'completed' });
});

it('serves the runpod Python SDK client (run_sync, run + cancel with an empty JSON body, health)', async () => {
  const script = [
    'import json, os, runpod',
    'runpod.api_key = os.environ["LOCAL_KEY"]',
    'endpoint = runpod.Endpoint("test")',
    'output = endpoint.run_sync({"input": {"action": "echo", "value": "via python"}}, timeout=60)',
    'job = endpoint.run({"input": {"action": "sleep", "steps": 30, "step_s": 1}})',
    'cancelled = job.cancel()',
    'print(json.dumps({"output": output, "cancelled": cancelled, "health": endpoint.health()}))',
  ].join('\n');
  const { stdout } = await run(PYTHON, ['-c', script], {
    env: { ...process.env, RUNPOD_ENDPOINT_BASE_URL: endpoint.baseUrl, LOCAL_KEY: API_KEY },
  });
  const result = JSON.parse(stdout.trim().split('\n').pop() as string);
  expect(result.output).toMatchObject({ echo: 'via python' });
  expect(result.cancelled).toMatchObject({ status: 'CANCELLED' });
  expect(result.health.jobs).toBeDefined();
});

it('keeps workers working when ~/.runpod/config.toml holds another key (the SDK sends that one)', async () => {
  const api = clientFor(endpoint, 'cli-configured');
  const done = await api.runsync({ input: { action: 'echo', value: 'despite config.toml' } }, 30_000);
  expect(done).toMatchObject({ status: 'COMPLETED', output: { echo: 'despite config.toml' } });
});
