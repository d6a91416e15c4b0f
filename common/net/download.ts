/**
 * Downloads a user-supplied URL to a local file: SSRF-guarded, size-limited, with timeouts, a few
 * quick retries for transient faults, and Google Drive share links (including the large-file
 * confirmation page). Errors name the input (its label, e.g. "images[2].image_url").
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'undici';
import { badInput } from '../errors';
import { BlockedAddressError } from './ssrf';
import type { Guard } from './guarded-fetch';

export interface DownloadOptions {
  label: string;
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
  attempts?: number;
}

/** Rewrites Google Drive share/view links to the direct download endpoint. */
export function googleDriveDirectUrl(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (!/(^|\.)drive\.google\.com$|(^|\.)docs\.google\.com$|^drive\.usercontent\.google\.com$/.test(url.hostname)) return null;
  const fromPath = url.pathname.match(/\/(?:file\/)?d\/([A-Za-z0-9_-]{10,})/);
  const id = fromPath?.[1] ?? url.searchParams.get('id');
  if (!id) return null;
  return `https://drive.usercontent.google.com/download?id=${encodeURIComponent(id)}&export=download&confirm=t`;
}

/** The seed encodes spaces and pipes in input URLs; keep doing so for old clients. */
export function encodeLooseUrl(raw: string): string {
  return /[ |]/.test(raw) ? encodeURI(raw) : raw;
}

export async function downloadToFile(guard: Guard, rawUrl: string, dest: string, opts: DownloadOptions): Promise<{ bytes: number; contentType: string | null }> {
  const url = googleDriveDirectUrl(rawUrl) ?? encodeLooseUrl(rawUrl);
  const attempts = opts.attempts ?? 3;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await downloadOnce(guard, url, dest, opts);
    } catch (err) {
      lastError = err;
      await rm(dest, { force: true });
      if (!isTransient(err) || opts.signal?.aborted) break;
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
  throw classify(lastError, opts.label, rawUrl);
}

class HttpStatusError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

async function downloadOnce(guard: Guard, url: string, dest: string, opts: DownloadOptions) {
  let { response } = await guard.fetch(url, { timeoutMs: opts.timeoutMs, signal: opts.signal, headers: { 'user-agent': 'AutoDark/1.0' } });
  response = await followDriveConfirmation(guard, response, opts);
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new HttpStatusError(response.status);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > opts.maxBytes) {
    await response.body.cancel();
    throw badInput(`${opts.label}: file is ${declared} bytes, over the ${opts.maxBytes}-byte limit`);
  }
  let bytes = 0;
  const limiter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > opts.maxBytes) cb(badInput(`${opts.label}: file exceeds the ${opts.maxBytes}-byte limit`));
      else cb(null, chunk);
    },
  });
  await pipeline(response.body, limiter, createWriteStream(dest));
  return { bytes, contentType: response.headers.get('content-type') };
}

/** Drive answers large files with an HTML "can't scan for viruses" form; submit it like a browser. */
async function followDriveConfirmation(guard: Guard, response: Response, opts: DownloadOptions): Promise<Response> {
  const type = response.headers.get('content-type') ?? '';
  if (!response.ok || !type.includes('text/html') || !/drive\.(usercontent\.)?google\.com$/.test(new URL(response.url || 'http://x').hostname)) {
    return response;
  }
  const html = await response.text();
  const form = html.match(/<form[^>]+id="download-form"[^>]+action="([^"]+)"[\s\S]*?<\/form>/);
  if (!form) throw badInput(`${opts.label}: Google Drive did not offer a download (is the file shared publicly?)`);
  const target = new URL(form[1].replace(/&amp;/g, '&'));
  for (const m of form[0].matchAll(/<input[^>]+name="([^"]+)"[^>]+value="([^"]*)"/g)) target.searchParams.set(m[1], m[2]);
  return (await guard.fetch(target.href, { timeoutMs: opts.timeoutMs, signal: opts.signal })).response;
}

function isTransient(err: unknown): boolean {
  if (err instanceof HttpStatusError) return err.status >= 500 || err.status === 408 || err.status === 429;
  if (err instanceof BlockedAddressError) return false;
  if ((err as { nonRetryable?: boolean }).nonRetryable) return false;
  return true; // network errors, resets, timeouts
}

function classify(err: unknown, label: string, url: string): unknown {
  if (err instanceof BlockedAddressError) return badInput(`${label}: ${err.message}`);
  if (err instanceof HttpStatusError && !isTransient(err)) return badInput(`${label}: download failed with HTTP ${err.status} (${redactUrl(url)})`);
  if ((err as { nonRetryable?: boolean }).nonRetryable) return err;
  const reason = err instanceof HttpStatusError ? `HTTP ${err.status}` : (err as Error)?.message ?? String(err);
  // transient: let Temporal retry the activity
  return new Error(`${label}: download failed (${reason})`);
}

/** Query strings may hold presigned credentials: never echo them. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '<invalid url>';
  }
}
