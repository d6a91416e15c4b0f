/**
 * SSRF guard. Every outbound request for user-supplied URLs (media inputs, webhooks) goes through an
 * undici dispatcher whose DNS lookup refuses non-public addresses. Because the check runs on the
 * address actually connected to, DNS rebinding cannot slip past it; redirects are followed by hand so
 * every hop is checked too (see guardedFetch).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent } from 'undici';

export class BlockedAddressError extends Error {
  constructor(public readonly target: string, reason: string) {
    super(`refused to connect to ${target}: ${reason}`);
    this.name = 'BlockedAddressError';
  }
}

export interface AllowList {
  hosts: Set<string>;
  cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

/** ALLOWED_PRIVATE_HOSTS entries: host names, IPs or CIDRs ("localhost,127.0.0.1/8,::1"). */
export function parseAllowList(entries: string[]): AllowList {
  const allow: AllowList = { hosts: new Set(), cidrs: [] };
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase().replace(/^\[|\]$/g, '');
    if (!entry) continue;
    if (entry.includes('/')) allow.cidrs.push(ipaddr.parseCIDR(entry));
    else if (ipaddr.isValid(entry)) allow.cidrs.push([ipaddr.parse(entry), ipaddr.parse(entry).kind() === 'ipv4' ? 32 : 128]);
    else allow.hosts.add(entry);
  }
  return allow;
}

const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

function normalize(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const parsed = ipaddr.parse(address);
  // ::ffff:127.0.0.1 and friends are IPv4 addresses in disguise
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) return (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed;
}

/** Why an address may not be reached, or null when it is public (or allow-listed). */
export function blockedReason(address: string, allow: AllowList): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  const ip = normalize(address);
  for (const [net, bits] of allow.cidrs) {
    if (net.kind() === ip.kind() && ip.match([net, bits] as never)) return null;
  }
  // ::a.b.c.d (IPv4-compatible, deprecated by RFC 4291) is "unicast" to ipaddr.js, yet stacks with a
  // sit tunnel route it to the embedded IPv4 address: refuse it like the other IPv4-in-IPv6 forms
  const range = ip.kind() === 'ipv6' && ip.match(IPV4_COMPATIBLE) && ip.range() === 'unicast' ? 'ipv4Compatible' : ip.range();
  return range === 'unicast' ? null : `${range} address ${ip.toString()}`;
}

export function isHostAllowListed(host: string, allow: AllowList): boolean {
  return allow.hosts.has(host.toLowerCase().replace(/^\[|\]$/g, ''));
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A dns.lookup replacement that fails for hosts resolving to any refused address. */
export function guardedLookup(allow: AllowList) {
  return (hostname: string, options: object, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as LookupAddress[];
      if (!isHostAllowListed(hostname, allow)) {
        for (const a of list) {
          const reason = blockedReason(a.address, allow);
          if (reason) return callback(new BlockedAddressError(hostname, reason) as NodeJS.ErrnoException, []);
        }
      }
      const wantsAll = (options as { all?: boolean }).all;
      if (wantsAll) return callback(null, list);
      return callback(null, list[0].address, list[0].family);
    });
  };
}

/** Checks a URL before any connection: scheme, and literal IP hosts (which skip DNS lookup). */
export function assertUrlAllowed(url: URL, allow: AllowList): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BlockedAddressError(url.href, `scheme ${url.protocol} is not allowed`);
  }
  if (url.username || url.password) throw new BlockedAddressError(url.host, 'credentials in URLs are not allowed');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isHostAllowListed(host, allow)) return;
  if (isIP(host)) {
    const reason = blockedReason(host, allow);
    if (reason) throw new BlockedAddressError(host, reason);
  }
}

/** An undici dispatcher that only connects to permitted addresses. */
export function guardedAgent(allow: AllowList, opts: { connectTimeoutMs?: number } = {}): Agent {
  return new Agent({
    connect: { lookup: guardedLookup(allow) as never, timeout: opts.connectTimeoutMs ?? 15_000 },
    keepAliveTimeout: 10_000,
  });
}
