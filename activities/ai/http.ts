/**
 * One JSON POST to an AI provider, with its answer turned into the failure kinds of common/ai.ts:
 * which ones Temporal retries, and for 429 after how long (the provider's Retry-After). The API key
 * goes only into the Authorization header and is scrubbed from any provider text we repeat.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { AI_FAILURE_TYPES } from '../../common/ai';

export interface ProviderCall {
  provider: string;
  url: string;
  apiKey: string;
  body: unknown;
  timeoutMs: number;
  headers?: Record<string, string>;
  /** the provider's own error text from a parsed error body */
  errorText(json: unknown): string | undefined;
  /** provider error codes (not HTTP statuses) that mean bad key or no credits */
  errorKind?(json: unknown): 'auth' | 'credits' | undefined;
}

export function requireKey(apiKey: string | undefined, provider: string, setting: string): string {
  if (!apiKey) throw ApplicationFailure.nonRetryable(`${provider} is not configured: set ${setting}`, AI_FAILURE_TYPES.notConfigured);
  return apiKey;
}

/** Heartbeats while fn runs: they carry cancellation (the API's deadline) into the activity. */
export async function withHeartbeat<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const ticker = setInterval(() => ctx.heartbeat(), 2_000);
  try {
    return await fn(ctx.cancellationSignal);
  } finally {
    clearInterval(ticker);
  }
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Posts call.body as JSON and returns the parsed answer of a 2xx; throws a typed failure otherwise. */
export async function postJson(call: ProviderCall, signal: AbortSignal): Promise<unknown> {
  const scrub = (text: string) => text.split(call.apiKey).join('[redacted]');
  let res: Response;
  try {
    res = await fetch(call.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${call.apiKey}`, ...call.headers },
      body: JSON.stringify(call.body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(call.timeoutMs)]),
    });
  } catch (err) {
    if (signal.aborted) throw err;
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${call.timeoutMs} ms` : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : ''}`;
    throw ApplicationFailure.retryable(`${call.provider} request failed: ${scrub(why)}`, AI_FAILURE_TYPES.unavailable);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (res.ok) {
    if (json === undefined) throw ApplicationFailure.retryable(`${call.provider} answered HTTP ${res.status} with a body that is not JSON`, AI_FAILURE_TYPES.unavailable);
    return json;
  }

  const detail = scrub((json !== undefined ? call.errorText(json) : undefined) ?? (text.slice(0, 300) || res.statusText));
  const message = `${call.provider} answered HTTP ${res.status}: ${detail}`;
  const kind = json !== undefined ? call.errorKind?.(json) : undefined;
  if (res.status === 429) {
    const delay = retryAfterMs(res.headers.get('retry-after'));
    throw ApplicationFailure.create({
      message,
      type: AI_FAILURE_TYPES.rateLimited,
      // Temporal waits this long before the next attempt instead of its own backoff
      nextRetryDelay: delay,
      details: delay === undefined ? [] : [{ retryAfterS: Math.ceil(delay / 1000) }],
    });
  }
  if (res.status === 401 || res.status === 403 || kind === 'auth') throw ApplicationFailure.nonRetryable(message, AI_FAILURE_TYPES.auth);
  if (res.status === 402 || kind === 'credits') throw ApplicationFailure.nonRetryable(message, AI_FAILURE_TYPES.credits);
  if (res.status === 408 || res.status >= 500) throw ApplicationFailure.retryable(message, AI_FAILURE_TYPES.unavailable);
  throw ApplicationFailure.nonRetryable(message, AI_FAILURE_TYPES.rejected);
}
