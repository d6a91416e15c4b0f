/**
 * `npm start`: the whole stack in the foreground on embedded defaults.
 *   Temporal dev server (SQLite under DATA_DIR, Web UI on 8233, search attributes registered)
 *   → temporal-config/setup.sh (namespace retention, idempotent)
 *   → the RunPod-compatible local GPU endpoint (unless RUNPOD_API_KEY points at real RunPod)
 *   → the Temporal worker process → the API on PORT.
 * SIGINT/SIGTERM stop every child, API first, Temporal last. Unfinished jobs live in Temporal's
 * SQLite file, so the next start resumes them.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../common/config';
import { REPO_ROOT, asProcessGroup, startTemporalDevServer, stopChild, type DevServer } from './temporal-dev';

const children: { name: string; child: ChildProcess }[] = [];
let temporal: DevServer | undefined;
let stopping = false;

function persistedSecret(dataDir: string, file: string, prefix: string): string {
  const path = join(dataDir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const value = `${prefix}${randomBytes(24).toString('base64url')}`;
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return value;
}

function launch(name: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  // its own process group, so stopping it also stops the script tsx runs in a grandchild
  const child = asProcessGroup(spawn(process.execPath, [require.resolve('tsx/cli'), script], { cwd: REPO_ROOT, env, stdio: 'inherit', detached: true }));
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[start] ${name} exited (${signal ?? code}); stopping the stack`);
      void shutdown(1);
    }
  });
  children.push({ name, child });
  return child;
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('[start] stopping…');
  for (const { child } of [...children].reverse()) await stopChild(child, 30_000);
  await temporal?.stop();
  process.exit(code);
}

async function main() {
  const config = loadConfig();
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));

  const temporalPort = Number(process.env.TEMPORAL_PORT ?? 7233);
  const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
  temporal = await startTemporalDevServer({ dbFile: join(config.dataDir, 'temporal.db'), port: temporalPort, uiPort, namespace: config.TEMPORAL_NAMESPACE });
  execFileSync('sh', [resolve(REPO_ROOT, 'temporal-config/setup.sh')], {
    env: { ...process.env, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE },
    stdio: 'inherit',
  });

  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: temporal.address, X_API_KEY: config.apiKey, DATA_DIR: config.dataDir };
  let gpu = 'RunPod serverless (RUNPOD_API_KEY)';
  if (!process.env.RUNPOD_API_KEY) {
    const port = Number(process.env.RUNPOD_LOCAL_PORT ?? 8288);
    const key = persistedSecret(config.dataDir, 'runpod-local-key', 'rpl_');
    Object.assign(env, { RUNPOD_LOCAL_PORT: String(port), RUNPOD_LOCAL_API_KEY: key, RUNPOD_API_KEY: key, RUNPOD_BASE_URL: `http://127.0.0.1:${port}/v2` });
    launch('gpu-endpoint', 'runpod-local/main.ts', env);
    await waitForHttp(`http://127.0.0.1:${port}/`, 60_000);
    gpu = `local RunPod-compatible endpoint http://127.0.0.1:${port}/v2 (MAX_WORKERS=${config.MAX_WORKERS})`;
  }
  launch('worker', 'scripts/worker.ts', env);
  launch('api', 'scripts/api.ts', env);
  await waitForHttp(`http://127.0.0.1:${config.PORT}/health`, 90_000);

  const line = '─'.repeat(72);
  console.log(`\n${line}\n AutoDark is up\n${line}`);
  console.log(` API            ${config.publicBaseUrl}   (docs: ${config.publicBaseUrl}/docs)`);
  console.log(` X-API-Key      ${config.apiKey}${config.apiKeyGenerated ? '   (generated, saved in DATA_DIR/api-key)' : ''}`);
  console.log(` Temporal       ${temporal.address}   Web UI: http://localhost:${uiPort}`);
  console.log(` GPU backend    ${gpu}`);
  console.log(` Storage        ${config.storageDriver === 's3' ? `S3 bucket ${config.S3_BUCKET_NAME}` : `${config.dataDir}/files`}`);
  console.log(`${line}\n Ctrl-C stops everything; unfinished jobs resume on the next start.\n${line}\n`);
}

main().catch((err) => {
  console.error('[start]', err instanceof Error ? err.message : err);
  void shutdown(1);
});
