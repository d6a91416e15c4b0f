/** Starts the local RunPod endpoint with real runpod-SDK test workers and talks to it like a client. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLogger } from '../../common/logger';
import { startLocalEndpoint, type LocalEndpoint, type LocalEndpointOptions } from '../../runpod-local/main';
import type { StatusBody } from '../../runpod-local/job-store';
import type { HealthBody } from '../../runpod-local/worker-pool';

export const API_KEY = 'test-local-runpod-key-0123456789';
export const REPO = resolve(__dirname, '../..');
export const PYTHON = resolve(REPO, '.venv/bin/python');
export const BEHAVIOURS = resolve(REPO, 'tests/fixtures/runpod_handlers/behaviours.py');
export const STREAMING = resolve(REPO, 'tests/fixtures/runpod_handlers/streaming.py');

/** The behaviours.py worker; startupDelayS makes its cold start visible, like a model load. */
export function behavioursCommand(startupDelayS = 0): string[] {
  return [PYTHON, '-u', BEHAVIOURS, ...(startupDelayS > 0 ? ['--startup-delay', String(startupDelayS)] : [])];
}

export async function startTestEndpoint(options: Partial<LocalEndpointOptions> = {}): Promise<LocalEndpoint> {
  return startLocalEndpoint({
    apiKey: API_KEY,
    port: 0,
    endpoints: [{ id: 'test', command: behavioursCommand() }],
    killGraceMs: 2000,
    logger: createLogger('runpod-local-test', process.env.LOG_LEVEL ?? 'warn'),
    ...options,
  });
}

export interface Client {
  post(path: string, body?: unknown, key?: string | null): Promise<Response>;
  get(path: string, key?: string | null): Promise<Response>;
  run(body: unknown): Promise<{ id: string; status: string }>;
  runsync(body: unknown, wait?: number): Promise<StatusBody>;
  status(id: string): Promise<StatusBody>;
  cancel(id: string): Promise<StatusBody>;
  health(): Promise<HealthBody>;
  waitFor(id: string, predicate: (s: StatusBody) => boolean, timeoutMs?: number): Promise<StatusBody>;
}

export function clientFor(endpoint: LocalEndpoint, endpointId = 'test'): Client {
  const base = `${endpoint.baseUrl}/${endpointId}`;
  const headers = (key: string | null | undefined) => ({
    'content-type': 'application/json',
    ...(key === null ? {} : { authorization: `Bearer ${key ?? API_KEY}` }),
  });
  const json = async <T>(res: Response): Promise<T> => {
    if (res.status !== 200) throw new Error(`${res.url} -> ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  };
  const client: Client = {
    post: (path, body, key) => fetch(`${base}${path}`, { method: 'POST', headers: headers(key), body: body === undefined ? undefined : JSON.stringify(body) }),
    get: (path, key) => fetch(`${base}${path}`, { headers: headers(key) }),
    run: async (body) => json(await client.post('/run', body)),
    runsync: async (body, wait) => json(await client.post(`/runsync${wait ? `?wait=${wait}` : ''}`, body)),
    status: async (id) => json(await client.get(`/status/${id}`)),
    cancel: async (id) => json(await client.post(`/cancel/${id}`, {})),
    health: async () => json(await client.get('/health')),
    waitFor: async (id, predicate, timeoutMs = 60_000) => {
      let last: StatusBody | undefined;
      await waitUntil(async () => predicate((last = await client.status(id))), timeoutMs, () => `job ${id}: ${JSON.stringify(last)}`);
      return last as StatusBody;
    },
  };
  return client;
}

/** Polls `check` until it holds; fails with `describe()` after timeoutMs. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${describe()}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** True while the process runs; a zombie (dead, not yet reaped by its new parent) counts as gone. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export const FINAL = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];
export const settled = (s: StatusBody) => FINAL.includes(s.status);
