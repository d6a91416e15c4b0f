/**
 * Worker process: polls the task queues in WORKER_TASK_QUEUES (default: all). SIGINT/SIGTERM drain it.
 * Metrics: ours on WORKER_METRICS_PORT (/metrics), the Temporal SDK's on WORKER_SDK_METRICS_PORT.
 */
import { createServer } from 'node:http';
import { Runtime } from '@temporalio/worker';
import { loadConfig } from '../common/config';
import { createLogger } from '../common/logger';
import { workerRegistry } from '../common/metrics';
import { connectRuntime } from '../common/runtime';
import { TASK_QUEUES, type TaskQueueName } from '../common/temporal';
import { createWorkers } from '../worker/create';

async function main() {
  const config = loadConfig();
  const logger = createLogger('autodark-worker', config.LOG_LEVEL);
  const metricsPort = Number(process.env.WORKER_METRICS_PORT ?? 9464);
  const sdkMetricsPort = Number(process.env.WORKER_SDK_METRICS_PORT ?? 9465);
  Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: `0.0.0.0:${sdkMetricsPort}` } } } });

  const runtime = await connectRuntime(config);
  const wanted = (process.env.WORKER_TASK_QUEUES ?? Object.values(TASK_QUEUES).join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as TaskQueueName[];
  const known = new Set<string>(Object.values(TASK_QUEUES));
  const unknown = wanted.filter((q) => !known.has(q));
  if (unknown.length) throw new Error(`WORKER_TASK_QUEUES: unknown task queue(s) ${unknown.join(', ')}`);

  const metrics = createServer(async (req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': workerRegistry.contentType }).end(await workerRegistry.metrics());
  });
  metrics.listen(metricsPort, '0.0.0.0');

  const workers = await createWorkers(config, runtime, logger, { taskQueues: wanted });
  // the Temporal runtime drains workers on SIGINT/SIGTERM by itself
  await workers.run();
  metrics.close();
  await runtime.connection.close();
  logger.info('worker stopped');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
