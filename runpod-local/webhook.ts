/**
 * RunPod's completion webhook: when a job settles, POST its /status body to the `webhook` given at
 * submission; a non-200 answer or an error is retried 2 more times, 10 s apart.
 */
import type { Logger } from '../common/logger';
import type { StatusBody } from './job-store';

const ATTEMPTS = 3;
const RETRY_DELAY_MS = 10_000;
const REQUEST_TIMEOUT_MS = 10_000;

export class WebhookSender {
  private readonly abort = new AbortController();

  constructor(private readonly logger: Logger) {}

  send(url: string, body: StatusBody): void {
    void this.deliver(url, body);
  }

  /** Stops pending deliveries (server shutdown). */
  close(): void {
    this.abort.abort();
  }

  private async deliver(url: string, body: StatusBody): Promise<void> {
    for (let attempt = 1; attempt <= ATTEMPTS && !this.abort.signal.aborted; attempt += 1) {
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
        });
        await res.body?.cancel();
        if (res.status === 200) return;
        this.logger.warn({ jobId: body.id, status: res.status, attempt }, 'webhook answered non-200');
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.logger.warn({ jobId: body.id, attempt, err: (error as Error).message }, 'webhook delivery failed');
      }
      if (attempt < ATTEMPTS) await sleep(RETRY_DELAY_MS, this.abort.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
