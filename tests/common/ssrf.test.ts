import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Guard } from '../../common/net/guarded-fetch';
import { BlockedAddressError, guardedAgent, parseAllowList } from '../../common/net/ssrf';

const strict = parseAllowList([]);
const guard = new Guard(strict, guardedAgent(strict));

async function refused(url: string, g = guard): Promise<string> {
  try {
    const { response } = await g.fetch(url, { timeoutMs: 3000 });
    await response.body?.cancel();
    return `not refused (HTTP ${response.status})`;
  } catch (err) {
    return err instanceof BlockedAddressError ? 'refused' : `other error: ${(err as Error).message}`;
  }
}

describe('SSRF guard', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/redirect')) {
        const to = new URL(req.url, 'http://x').searchParams.get('to')!;
        res.writeHead(302, { location: to }).end();
        return;
      }
      res.writeHead(200).end('secret');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it.each([
    ['loopback', 'http://127.0.0.1:PORT/'],
    ['loopback range', 'http://127.1.2.3:PORT/'],
    ['localhost name (DNS resolves to loopback)', 'http://localhost:PORT/'],
    ['decimal IPv4', 'http://2130706433:PORT/'],
    ['octal IPv4', 'http://0177.0.0.1:PORT/'],
    ['hex IPv4', 'http://0x7f000001:PORT/'],
    ['IPv6 loopback', 'http://[::1]:PORT/'],
    ['IPv4-mapped IPv6', 'http://[::ffff:127.0.0.1]:PORT/'],
    ['IPv4-mapped IPv6 (hex form)', 'http://[::ffff:7f00:1]:PORT/'],
    ['unspecified', 'http://0.0.0.0:PORT/'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['private 10/8', 'http://10.0.0.1/'],
    ['private 172.16/12', 'http://172.16.5.4/'],
    ['private 192.168/16', 'http://192.168.1.1/'],
    ['carrier-grade NAT', 'http://100.64.0.1/'],
    ['IPv6 unique local', 'http://[fd00::1]/'],
    ['IPv6 link-local', 'http://[fe80::1]/'],
    ['non-http scheme', 'file:///etc/passwd'],
  ])('refuses %s', async (_name, url) => {
    expect(await refused(url.replace('PORT', String(port)))).toBe('refused');
  });

  it('refuses a public-looking redirect hop that lands on a private address', async () => {
    // the first hop is allow-listed (a test server), the redirect target is not
    const allow = parseAllowList([`127.0.0.1`]);
    const g = new Guard(allow, guardedAgent(allow));
    const res = await g.fetch(`http://127.0.0.1:${port}/redirect?to=${encodeURIComponent('http://169.254.169.254/')}`, { timeoutMs: 3000 }).catch((e) => e);
    expect(res).toBeInstanceOf(BlockedAddressError);
  });

  it('refuses a redirect to a DNS name that resolves to loopback', async () => {
    // only the test server's own address is allowed; "localhost" resolves to other loopback
    // addresses (127.0.0.1 / ::1), checked at connect time, after DNS
    const side = createServer((_req, res) => res.writeHead(302, { location: `http://localhost:${port}/` }).end());
    await new Promise<void>((r) => side.listen(0, '127.0.0.2', r));
    const sidePort = (side.address() as { port: number }).port;
    const allow = parseAllowList(['127.0.0.2']);
    const g = new Guard(allow, guardedAgent(allow));
    const res = await g.fetch(`http://127.0.0.2:${sidePort}/`, { timeoutMs: 3000 }).catch((e) => e);
    await new Promise<void>((r) => side.close(() => r()));
    expect(res).toBeInstanceOf(BlockedAddressError);
  });

  it('lets allow-listed hosts and CIDRs through', async () => {
    const allow = parseAllowList(['127.0.0.0/8']);
    const g = new Guard(allow, guardedAgent(allow));
    const { response } = await g.fetch(`http://localhost:${port}/`, { timeoutMs: 3000 });
    expect(await response.text()).toBe('secret');
  });
});
