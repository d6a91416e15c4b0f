/**
 * fetch for user-supplied URLs: SSRF-guarded on every hop, redirects followed by hand (max 5),
 * with an overall timeout. Callers decide what to do with the response.
 */
import { fetch, type Agent, type RequestInit, type Response } from 'undici';
import { assertUrlAllowed, type AllowList, BlockedAddressError } from './ssrf';

export interface GuardedFetchOptions extends Omit<RequestInit, 'dispatcher' | 'redirect' | 'signal'> {
  timeoutMs: number;
  signal?: AbortSignal;
  maxRedirects?: number;
}

export class Guard {
  constructor(readonly allow: AllowList, readonly agent: Agent) {}

  async fetch(rawUrl: string, opts: GuardedFetchOptions): Promise<{ response: Response; finalUrl: URL }> {
    let url = new URL(rawUrl);
    const signals = [AbortSignal.timeout(opts.timeoutMs)];
    if (opts.signal) signals.push(opts.signal);
    const signal = AbortSignal.any(signals);
    const { timeoutMs: _t, maxRedirects = 5, signal: _s, ...init } = opts;
    for (let hop = 0; ; hop++) {
      assertUrlAllowed(url, this.allow);
      const response = await fetch(url, { ...init, dispatcher: this.agent, redirect: 'manual', signal }).catch((err: unknown) => {
        throw unwrapBlocked(err);
      });
      const location = response.headers.get('location');
      // maxRedirects 0: the caller wants the redirect itself (webhooks never follow one)
      if (response.status >= 300 && response.status < 400 && location && maxRedirects > 0) {
        await response.body?.cancel();
        if (hop >= maxRedirects) throw new Error(`too many redirects fetching ${rawUrl}`);
        url = new URL(location, url);
        // a redirected POST becomes a GET, as browsers do (303 always, 301/302 by convention)
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && init.method === 'POST')) {
          init.method = 'GET';
          delete init.body;
        }
        continue;
      }
      return { response, finalUrl: url };
    }
  }
}

/** undici wraps connect errors; surface our own refusal so callers can tell it from a network fault. */
function unwrapBlocked(err: unknown): unknown {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    if (e instanceof BlockedAddressError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return err;
}
