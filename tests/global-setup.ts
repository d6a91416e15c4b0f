/**
 * One real Temporal dev server (SQLite, our search attributes) and one workflow bundle for the whole
 * suite; test files start their own workers and API against it.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { writeFileSync } from 'node:fs';
import { startTemporalDevServer, type DevServer } from '../scripts/temporal-dev';

let server: DevServer | undefined;
let dir: string | undefined;

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
    temporalDbFile: string;
  }
}

export default async function setup(project: TestProject) {
  dir = mkdtempSync(join(tmpdir(), 'autodark-suite-'));
  const dbFile = join(dir, 'temporal.db');
  server = await startTemporalDevServer({ dbFile, headless: true });
  const bundle = await bundleWorkflowCode({ workflowsPath: resolve(__dirname, '../workflows'), logger: quietLogger });
  const bundleDir = resolve(__dirname, '../.tmp');
  mkdirSync(bundleDir, { recursive: true });
  const bundlePath = join(bundleDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  project.provide('temporalAddress', server.address);
  project.provide('workflowBundlePath', bundlePath);
  project.provide('temporalDbFile', dbFile);
  return async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}

const noop = () => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => console.error(m) };
