/** Submission-time check of webhook_url; delivery re-checks the resolved address (SSRF guard). */
import { isIP } from 'node:net';
import { blockedReason, isHostAllowListed, type AllowList } from '../common/net/ssrf';

export function checkWebhookUrl(raw: string, allow: AllowList): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be a valid http(s) URI';
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isHostAllowListed(host, allow)) return null;
  if (host === 'localhost' || host.endsWith('.localhost')) return 'must not point to localhost';
  if (isIP(host)) {
    const reason = blockedReason(host, allow);
    if (reason) return `must be a public address (${reason})`;
  }
  return null;
}
