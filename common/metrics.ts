/**
 * Prometheus metrics. The API process exports job counts (from Temporal visibility), task-queue backlog,
 * GPU endpoint workers and HTTP timings at GET /metrics; worker processes export job durations and
 * webhook attempts on WORKER_METRICS_PORT, next to the Temporal SDK's own worker metrics.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const workerRegistry = new Registry();
collectDefaultMetrics({ register: workerRegistry, prefix: 'autodark_worker_' });

export const jobDuration = new Histogram({
  name: 'autodark_job_duration_seconds',
  help: 'Time a media operation took on a worker, by operation, processor and outcome',
  labelNames: ['operation', 'processor', 'outcome'],
  buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800],
  registers: [workerRegistry],
});

export const webhookAttempts = new Counter({
  name: 'autodark_webhook_attempts_total',
  help: 'Webhook delivery attempts by outcome (delivered, http_error, network_error, refused)',
  labelNames: ['outcome'],
  registers: [workerRegistry],
});

/** Runs fn and records its duration under the given labels. */
export async function timed<T>(labels: { operation: string; processor: string }, fn: () => Promise<T>): Promise<T> {
  const end = jobDuration.startTimer(labels);
  try {
    const value = await fn();
    end({ outcome: 'completed' });
    return value;
  } catch (err) {
    end({ outcome: (err as { name?: string }).name === 'CancelledFailure' ? 'cancelled' : 'failed' });
    throw err;
  }
}
