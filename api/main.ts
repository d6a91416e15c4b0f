/** Builds the API's dependencies and its Fastify app from settings. */
import type { Config } from '../common/config';
import { gpuEndpointHealth } from '../common/gpu-endpoint';
import type { Logger } from '../common/logger';
import type { Runtime } from '../common/runtime';
import { gpuReconciler } from './gpu-reconcile';
import { JobService } from './jobs/service';
import { buildServer } from './server';

export async function createApi(config: Config, runtime: Runtime, logger: Logger) {
  const jobs = new JobService(runtime.client, {
    namespace: config.TEMPORAL_NAMESPACE,
    workers: { GPU: config.MAX_WORKERS, VPS: config.VPS_MAX_CONCURRENT_JOBS },
    webhookPolicy: {
      initialIntervalMs: config.WEBHOOK_INITIAL_RETRY_MS,
      maxIntervalMs: config.WEBHOOK_MAX_RETRY_INTERVAL_MS,
      retryForMs: config.WEBHOOK_RETRY_FOR_MS,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    },
  });
  return buildServer(
    config,
    {
      client: runtime.client,
      jobs,
      storage: runtime.storage,
      allowList: runtime.allowList,
      namespace: config.TEMPORAL_NAMESPACE,
      temporalAddress: config.TEMPORAL_ADDRESS,
      gpuWorkers: config.MAX_WORKERS,
      listQuery: JobService.listQuery,
      gpuHealth: gpuEndpointHealth(config),
      reconcileGpu: gpuReconciler(runtime.client, config),
    },
    logger,
  );
}
