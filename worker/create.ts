/**
 * Temporal workers of one process: one Worker per task queue it polls. Concurrency limits are the
 * product's capacity settings (no semaphore of ours): VPS_MAX_CONCURRENT_JOBS local FFmpeg jobs,
 * MAX_WORKERS concurrent RunPod jobs.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { BrowserPool } from '../activities/youtube/browser-pool';
import type { Config } from '../common/config';
import { sweepOrphanedWorkDirs } from '../common/work-dirs';
import type { Logger } from '../common/logger';
import type { Runtime } from '../common/runtime';
import { TASK_QUEUES, type TaskQueueName } from '../common/temporal';

export interface WorkerSet {
  run(): Promise<void>;
  shutdown(): void;
}

export async function createWorkers(
  config: Config,
  runtime: Runtime,
  logger: Logger,
  opts: { taskQueues?: TaskQueueName[]; workflowBundlePath?: string } = {},
): Promise<WorkerSet> {
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const queues = opts.taskQueues ?? [TASK_QUEUES.orchestration, TASK_QUEUES.mediaCpu, TASK_QUEUES.gpu];
  // what a worker killed mid-job on this host left behind (its jobs were retried elsewhere)
  const swept = await sweepOrphanedWorkDirs();
  if (swept.length) logger.info({ dirs: swept }, 'removed work dirs of workers that are gone');
  // one chromium per process, only where YouTube pages are opened; closed after the workers stop
  const browserPool = queues.includes(TASK_QUEUES.browser)
    ? new BrowserPool({ executablePath: config.CHROMIUM_PATH, maxPages: config.BROWSER_MAX_PAGES, contextMaxUses: config.BROWSER_CONTEXT_MAX_USES, logger })
    : undefined;
  await browserPool?.start();
  const activities = createActivities({
    config,
    guard: runtime.guard,
    storage: runtime.storage,
    client: runtime.client,
    downloadMaxBytes: config.DOWNLOAD_MAX_BYTES,
    downloadTimeoutMs: config.DOWNLOAD_TIMEOUT_MS,
    webhookSecret: config.WEBHOOK_SECRET,
    browserPool,
    youtubeBaseUrl: config.YOUTUBE_BASE_URL,
    openRouter: { apiKey: config.OPENROUTER_API_KEY, baseUrl: config.OPENROUTER_BASE_URL, model: config.OPENROUTER_MODEL },
    runware: { apiKey: config.RUNWARE_API_KEY, baseUrl: config.RUNWARE_BASE_URL },
  });
  // heartbeats carry cancellation back to activities: flush them often so a cancelled FFmpeg or GPU
  // job stops within seconds, not after the default 80% of the heartbeat timeout
  const base = { connection, namespace: config.TEMPORAL_NAMESPACE, activities, maxHeartbeatThrottleInterval: '2 seconds' } satisfies Partial<WorkerOptions>;
  const workflowSource = opts.workflowBundlePath
    ? { workflowBundle: { codePath: opts.workflowBundlePath } }
    : { workflowsPath: require.resolve('../workflows') };

  const workers = await Promise.all(
    queues.map((taskQueue) => {
      switch (taskQueue) {
        case TASK_QUEUES.orchestration:
          return Worker.create({ ...base, ...workflowSource, taskQueue, maxConcurrentActivityTaskExecutions: 50 });
        case TASK_QUEUES.browser:
          return Worker.create({ ...base, taskQueue, maxConcurrentActivityTaskExecutions: config.BROWSER_MAX_PAGES });
        case TASK_QUEUES.mediaCpu:
          return Worker.create({ ...base, taskQueue, maxConcurrentActivityTaskExecutions: Math.max(1, config.VPS_MAX_CONCURRENT_JOBS) });
        default:
          return Worker.create({ ...base, taskQueue, maxConcurrentActivityTaskExecutions: Math.max(1, config.MAX_WORKERS) });
      }
    }),
  ).catch(async (err: unknown) => {
    await browserPool?.stop();
    throw err;
  });
  logger.info({ taskQueues: queues }, 'temporal workers ready');
  return {
    run: async () => {
      try {
        await Promise.all(workers.map((w) => w.run()));
      } finally {
        await browserPool?.stop();
        await connection.close();
      }
    },
    shutdown: () => workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown()),
  };
}
