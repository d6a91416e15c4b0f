/**
 * A webhook receiver as a user would run one: it verifies Standard Webhooks signatures (with the
 * official library) and the seed's legacy X-Webhook-Signature, and can be switched down (HTTP 503 or
 * connection refused) to test retries.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  body: Record<string, unknown>;
  raw: string;
  headers: Record<string, string | string[] | undefined>;
  standardSignatureValid: boolean | null;
  legacySignatureValid: boolean | null;
  receivedAt: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** answer this status instead of 200 (e.g. 503 while "down") */
  respondWith(status: number): void;
  waitFor(predicate: (w: ReceivedWebhook) => boolean, timeoutMs?: number): Promise<ReceivedWebhook>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret?: string): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const attempts: { status: number }[] = [];
  let status = 200;
  const verifier = secret ? new Webhook(secret) : undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      attempts.push({ status });
      if (status >= 300) {
        res.writeHead(status).end('down');
        return;
      }
      let standard: boolean | null = null;
      let legacy: boolean | null = null;
      if (verifier && secret) {
        try {
          verifier.verify(raw, req.headers as Record<string, string>);
          standard = true;
        } catch {
          standard = false;
        }
        const expected = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
        legacy = req.headers['x-webhook-signature'] === expected;
      }
      received.push({ body: JSON.parse(raw), raw, headers: req.headers, standardSignatureValid: standard, legacySignatureValid: legacy, receivedAt: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    respondWith: (s) => {
      status = s;
    },
    waitFor: async (predicate, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const hit = received.find(predicate);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no matching webhook within ${timeoutMs} ms (received ${received.length})`);
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
