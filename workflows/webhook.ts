/**
 * Webhook delivery as its own workflow: one attempt per activity call and a durable timer between
 * attempts, so every attempt (time, HTTP status) is recorded and visible, backoff is exponential up to
 * policy.maxIntervalMs, and delivery keeps trying for policy.retryForMs (24 h by default) even across
 * restarts. A 3xx, or a 4xx other than 408/429, stops it. Started by the job workflow with parent-close ABANDON,
 * so the job itself finishes as soon as its work does.
 */
import { proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { webhookAttemptsQuery } from './definitions';
import type { WebhookAttempt, WebhookDeliveryInput, WebhookDeliveryResult } from './types';

type Activities = ReturnType<typeof createActivities>;

export async function webhookDelivery(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  const { postWebhook } = proxyActivities<Activities>({
    startToCloseTimeout: input.policy.timeoutMs + 5_000,
    retry: { maximumAttempts: 1 }, // the loop below is the retry policy
  });
  const attempts: WebhookAttempt[] = [];
  setHandler(webhookAttemptsQuery, () => attempts);

  const deadline = Date.parse(workflowInfo().startTime.toISOString()) + input.policy.retryForMs;
  let delay = input.policy.initialIntervalMs;
  for (;;) {
    const outcome: WebhookAttempt = await postWebhook({ url: input.url, body: input.body, jobId: input.jobId, status: input.status, attempt: attempts.length + 1, timeoutMs: input.policy.timeoutMs }).catch(
      (err: Error) => ({ at: new Date().toISOString(), error: err.cause instanceof Error ? err.cause.message : err.message }),
    );
    attempts.push(outcome);
    if (outcome.statusCode !== undefined && outcome.statusCode >= 200 && outcome.statusCode < 300) return { delivered: true, attempts };
    if (isFinalStatus(outcome.statusCode)) return { delivered: false, attempts, gaveUpReason: `receiver answered HTTP ${outcome.statusCode}` };
    if (outcome.refused) return { delivered: false, attempts, gaveUpReason: outcome.error };
    if (Date.now() + delay > deadline) return { delivered: false, attempts, gaveUpReason: 'retry window exhausted' };
    await sleep(delay);
    delay = Math.min(delay * 2, input.policy.maxIntervalMs);
  }
}

/**
 * A 4xx means the receiver refuses this payload; only 408 and 429 are worth another try. A 3xx is
 * final too: webhooks never follow redirects (they could point anywhere, including inside our network).
 */
function isFinalStatus(code: number | undefined): boolean {
  return code !== undefined && code >= 300 && code < 500 && code !== 408 && code !== 429;
}
