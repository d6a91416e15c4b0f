/** Key checks for the two sides of the local endpoint, in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function sameKey(given: string | undefined, expected: string): boolean {
  return given !== undefined && given !== '' && timingSafeEqual(digest(given), digest(expected));
}

/** Client side: "Authorization: Bearer KEY"; RunPod's docs also show the bare key, so both work. */
export function clientKeyFrom(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  return match ? match[1] : authorization.trim();
}
