/** Worker process: polls the task queues in WORKER_TASK_QUEUES (default: all). SIGINT/SIGTERM drain it. */
import { loadConfig } from '../common/config';
import { createLogger } from '../common/logger';
import { connectRuntime } from '../common/runtime';
import { TASK_QUEUES, type TaskQueueName } from '../common/temporal';
import { createWorkers } from '../worker/create';

async function main() {
  const config = loadConfig();
  const logger = createLogger('autodark-worker', config.LOG_LEVEL);
  const runtime = await connectRuntime(config);
  const wanted = (process.env.WORKER_TASK_QUEUES ?? Object.values(TASK_QUEUES).join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as TaskQueueName[];
  const known = new Set<string>(Object.values(TASK_QUEUES));
  const unknown = wanted.filter((q) => !known.has(q));
  if (unknown.length) throw new Error(`WORKER_TASK_QUEUES: unknown task queue(s) ${unknown.join(', ')}`);
  const workers = await createWorkers(config, runtime, logger, { taskQueues: wanted });
  // the Temporal runtime drains workers on SIGINT/SIGTERM by itself
  await workers.run();
  await runtime.connection.close();
  logger.info('worker stopped');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
