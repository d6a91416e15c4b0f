/**
 * The RunPod client API of the local endpoint, served by real runpod-SDK workers: results, runsync,
 * progress, handler errors, streaming, webhooks, retry, auth and input validation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEndpoint } from '../../runpod-local/main';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';
import { API_KEY, behavioursCommand, clientFor, FINAL, PYTHON, settled, startTestEndpoint, STREAMING, type Client } from './helpers';

let endpoint: LocalEndpoint;
let api: Client;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  endpoint = await startTestEndpoint({
    maxWorkers: 2,
    endpoints: [
      { id: 'test', command: behavioursCommand() },
      { id: 'streamer', command: [PYTHON, '-u', STREAMING] },
    ],
  });
  api = clientFor(endpoint);
});

afterAll(async () => {
  await endpoint?.close();
  await receiver?.close();
});

describe('jobs', () => {
  it('runs a job submitted with /run and reports COMPLETED with its output on /status', async () => {
    const submitted = await api.run({ input: { action: 'echo', value: 'hello worker' } });
    expect(submitted.status).toBe('IN_QUEUE');
    const done = await api.waitFor(submitted.id, settled);
    expect(done).toMatchObject({ id: submitted.id, status: 'COMPLETED', output: { echo: 'hello worker' } });
    expect(done.delayTime).toBeGreaterThanOrEqual(0);
    expect(done.executionTime).toBeGreaterThanOrEqual(0);
    expect(done.workerId).toMatch(/^test-/);
  });

  it('answers /runsync with the finished job in one response', async () => {
    const done = await api.runsync({ input: { action: 'echo', value: [1, 2, 3] } });
    expect(done).toMatchObject({ status: 'COMPLETED', output: { echo: [1, 2, 3] } });
    expect(done.id).toMatch(/^sync-/);
  });

  it('shows progress_update output while the job is IN_PROGRESS', async () => {
    const { id } = await api.run({ input: { action: 'sleep', steps: 3, step_s: 1 } });
    const running = await api.waitFor(id, (s) => s.status === 'IN_PROGRESS' && typeof s.output === 'object');
    expect(running.output).toMatchObject({ of: 3 });
    const done = await api.waitFor(id, settled);
    expect(done).toMatchObject({ status: 'COMPLETED', output: { slept_steps: 3 } });
  });

  it('reports a handler exception as FAILED carrying the handler message', async () => {
    const done = await api.runsync({ input: { action: 'error', message: 'frame size 0x0 is not valid' } });
    expect(done.status).toBe('FAILED');
    // The SDK sends the exception as a JSON string (type, message, traceback), as on RunPod.
    expect(JSON.parse(done.error as string)).toMatchObject({ error_message: 'frame size 0x0 is not valid', error_type: "<class 'ValueError'>" });
  });

  it('requeues a FAILED job under the same id with /retry', async () => {
    const failed = await api.runsync({ input: { action: 'error', message: 'first try' } });
    expect(failed.status).toBe('FAILED');
    const retriedBefore = (await api.health()).jobs.retried;
    const res = await api.post(`/retry/${failed.id}`);
    expect(await res.json()).toEqual({ id: failed.id, status: 'IN_QUEUE' });
    const again = await api.waitFor(failed.id, settled);
    expect(again.status).toBe('FAILED');
    expect((await api.health()).jobs.retried).toBe(retriedBefore + 1);
    const completed = await api.runsync({ input: { action: 'echo' } });
    expect((await api.post(`/retry/${completed.id}`)).status).toBe(400);
  });

  it('streams a generator handler chunk by chunk on /stream', async () => {
    const streamer = clientFor(endpoint, 'streamer');
    const { id } = await streamer.run({ input: { chunks: 4 } });
    const chunks: unknown[] = [];
    for (let polls = 0; polls < 100; polls += 1) {
      const res = await streamer.get(`/stream/${id}`);
      const body = (await res.json()) as { status: string; stream: { output: unknown }[] };
      chunks.push(...body.stream.map((c) => c.output));
      if (FINAL.includes(body.status) && body.stream.length === 0) break;
    }
    expect(chunks).toEqual([{ chunk: 0 }, { chunk: 1 }, { chunk: 2 }, { chunk: 3 }]);
    // return_aggregate_stream: the final output is every chunk.
    expect(await streamer.status(id)).toMatchObject({ status: 'COMPLETED', output: [{ chunk: 0 }, { chunk: 1 }, { chunk: 2 }, { chunk: 3 }] });
  });

  it('POSTs the final status body to the job webhook', async () => {
    const { id } = await api.run({ input: { action: 'echo', value: 'notify me' }, webhook: receiver.url });
    const hook = await receiver.waitFor((w) => w.body.id === id, 60_000);
    expect(hook.body).toMatchObject({ id, status: 'COMPLETED', output: { echo: 'notify me' } });
  });
});

describe('auth and validation', () => {
  it('answers 401 without the Bearer key, with a wrong one, and on worker routes without the worker key', async () => {
    expect((await api.post('/run', { input: {} }, null)).status).toBe(401);
    expect((await api.post('/run', { input: {} }, 'wrong-key-wrong-key')).status).toBe(401);
    expect((await api.get('/health', null)).status).toBe(401);
    expect((await api.get('/status/whatever', 'nope')).status).toBe(401);
    // The client key is not a worker key.
    expect((await api.get('/job-take/some-pod?x=1')).status).toBe(401);
    expect((await api.post('/job-done/some-pod/some-job', { output: 1 })).status).toBe(401);
    // RunPod also accepts the bare key.
    const bare = await fetch(`${endpoint.baseUrl}/test/health`, { headers: { authorization: API_KEY } });
    expect(bare.status).toBe(200);
  });

  it('rejects bad submissions with 400 naming the field', async () => {
    const missing = await api.post('/run', { notInput: 1 });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toMatch(/^input:/);
    const shortTtl = await api.post('/run', { input: {}, policy: { ttl: 500 } });
    expect(shortTtl.status).toBe(400);
    expect(((await shortTtl.json()) as { error: string }).error).toMatch(/policy\.ttl/);
    const shortTimeout = await api.post('/run', { input: {}, policy: { executionTimeout: 1000 } });
    expect(((await shortTimeout.json()) as { error: string }).error).toMatch(/policy\.executionTimeout/);
  });

  it('answers 404 for unknown jobs and endpoints', async () => {
    expect((await api.get('/status/no-such-job')).status).toBe(404);
    const other = clientFor(endpoint, 'no-such-endpoint');
    expect((await other.post('/run', { input: {} })).status).toBe(404);
  });
});
