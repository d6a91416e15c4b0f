/**
 * One webhook attempt: POST the envelope with the seed's headers, signed per the Standard Webhooks
 * spec (webhook-id / webhook-timestamp / webhook-signature) and with the seed's legacy
 * `X-Webhook-Signature: sha256=<hex>` when WEBHOOK_SECRET is set. Never throws for HTTP answers: the
 * delivery workflow records each attempt and decides on retries.
 */
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { webhookAttempts } from '../common/metrics';
import { BlockedAddressError } from '../common/net/ssrf';
import type { Guard } from '../common/net/guarded-fetch';
import type { WebhookAttempt } from '../workflows/types';

export interface PostWebhookInput {
  url: string;
  jobId: string;
  status: string;
  body: Record<string, unknown>;
  attempt: number;
  timeoutMs: number;
}

export function webhookActivities(deps: { guard: Guard; secret?: string }) {
  const signer = deps.secret ? new Webhook(deps.secret) : undefined;
  // legacy receivers verify HMAC-SHA256 keyed with the WEBHOOK_SECRET string itself, as the seed did
  const legacyKey = deps.secret;

  async function postWebhook(input: PostWebhookInput): Promise<WebhookAttempt> {
    const sentAt = new Date();
    const raw = JSON.stringify({ ...input.body, timestamp: sentAt.toISOString() });
    // the same id on every attempt lets receivers deduplicate retries
    const messageId = `msg_${input.jobId}_${input.status}`;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'AutoDark-Webhook/1.0',
      'x-webhook-jobid': input.jobId,
      'x-webhook-status': input.status,
      'x-webhook-timestamp': sentAt.toISOString(),
      'x-webhook-attempt': String(input.attempt),
    };
    if (signer && legacyKey) {
      Object.assign(headers, {
        'webhook-id': messageId,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': signer.sign(messageId, sentAt, raw),
        'x-webhook-signature': `sha256=${createHmac('sha256', legacyKey).update(raw).digest('hex')}`,
      });
    }
    try {
      const { response } = await deps.guard.fetch(input.url, { method: 'POST', body: raw, headers, timeoutMs: input.timeoutMs, maxRedirects: 0 });
      await response.body?.cancel();
      webhookAttempts.inc({ outcome: response.ok ? 'delivered' : 'http_error' });
      return { at: sentAt.toISOString(), statusCode: response.status };
    } catch (err) {
      if (err instanceof BlockedAddressError) {
        webhookAttempts.inc({ outcome: 'refused' });
        return { at: sentAt.toISOString(), error: err.message, refused: true };
      }
      webhookAttempts.inc({ outcome: 'network_error' });
      return { at: sentAt.toISOString(), error: describe(err) };
    }
  }

  return { postWebhook };
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  if (e?.cause?.code) return `${e.message ?? 'request failed'} (${e.cause.code})`;
  return e?.message ?? String(err);
}
