/**
 * The whole AutoDark stack in this process for a benchmark: a Temporal dev server on a SQLite file in
 * `dir`, the API on a free port (its /files serves DATA_DIR/files) and every worker, with SDK logs at
 * WARN. `env` adds or overrides settings (RunPod endpoint, concurrency).
 */
import { join } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createApi } from '../api/main';
import { loadConfig, type Config } from '../common/config';
import { createLogger } from '../common/logger';
import { connectRuntime, type Runtime as AutoDarkRuntime } from '../common/runtime';
import { freePort, startTemporalDevServer } from '../scripts/temporal-dev';
import { createWorkers } from '../worker/create';

export interface BenchStack {
  /** http://127.0.0.1:<port> */
  base: string;
  apiKey: string;
  config: Config;
  runtime: AutoDarkRuntime;
  stop(): Promise<void>;
}

export async function startBenchStack(dir: string, env: Record<string, string> = {}): Promise<BenchStack> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const temporal = await startTemporalDevServer({ dbFile: join(dir, 'temporal.db'), headless: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const apiKey = 'bench-api-key-0123456789abcdef';
  const config = loadConfig({ DATA_DIR: join(dir, 'data'), X_API_KEY: apiKey, TEMPORAL_ADDRESS: temporal.address, ALLOWED_PRIVATE_HOSTS: '127.0.0.1', LOG_LEVEL: 'silent', PORT: String(port), PUBLIC_BASE_URL: base, ...env });
  const logger = createLogger('bench', 'silent');
  const runtime = await connectRuntime(config);
  const app = await createApi(config, runtime, logger);
  await app.listen({ port, host: '127.0.0.1' });
  const workers = await createWorkers(config, runtime, logger);
  const running = workers.run();
  return {
    base,
    apiKey,
    config,
    runtime,
    async stop() {
      workers.shutdown();
      await running;
      app.server.closeAllConnections();
      await app.close();
      await runtime.connection.close();
      await temporal.stop();
    },
  };
}
