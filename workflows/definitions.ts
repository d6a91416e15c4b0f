/** Queries and signals, imported by workflows, the API and activities alike. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { JobProgress, WebhookAttempt } from './types';

export const progressQuery = defineQuery<JobProgress>('progress');
export const webhookAttemptsQuery = defineQuery<WebhookAttempt[]>('webhookAttempts');
/** sent by an activity when a worker actually starts the job's work (it was queued until then) */
export const processingSignal = defineSignal<[{ startedAt: string }]>('processing');
/** sent by activities to advance stage/percent shown by GET /jobs/:id */
export const progressSignal = defineSignal<[{ stage: string; percent: number; completed?: number; total?: number }]>('progressUpdate');

export const webhookWorkflowId = (jobId: string) => `${jobId}-webhook`;
