/** Input downloads: size limits, errors naming the input, retries, Google Drive link rewriting. */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadToFile, googleDriveDirectUrl } from '../../common/net/download';
import { Guard } from '../../common/net/guarded-fetch';
import { guardedAgent, parseAllowList } from '../../common/net/ssrf';

const allow = parseAllowList(['127.0.0.1']);
const guard = new Guard(allow, guardedAgent(allow));
let server: Server;
let base: string;
let dir: string;
let flaky = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dl-'));
  server = createServer((req, res) => {
    if (req.url === '/ok') return void res.end('hello');
    if (req.url === '/big') return void res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000));
    if (req.url === '/chunked-big') {
      res.writeHead(200);
      res.write('x'.repeat(3000));
      return void res.end('x'.repeat(3000));
    }
    if (req.url === '/flaky') return void (flaky++ < 2 ? res.writeHead(503).end() : res.end('finally'));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const opts = { label: 'url_video', maxBytes: 4096, timeoutMs: 5000 };

describe('downloadToFile', () => {
  it('downloads a file', async () => {
    const dest = join(dir, 'ok');
    expect(await downloadToFile(guard, `${base}/ok`, dest, opts)).toMatchObject({ bytes: 5 });
    expect(readFileSync(dest, 'utf8')).toBe('hello');
  });

  it('refuses files over the size limit, declared or streamed, naming the input', async () => {
    await expect(downloadToFile(guard, `${base}/big`, join(dir, 'big'), opts)).rejects.toThrow(/url_video: .*over the 4096-byte limit/);
    await expect(downloadToFile(guard, `${base}/chunked-big`, join(dir, 'big2'), opts)).rejects.toThrow(/url_video: file exceeds the 4096-byte limit/);
  });

  it('fails a 404 for good, naming the input, without retrying', async () => {
    const err = (await downloadToFile(guard, `${base}/missing`, join(dir, 'm'), opts).catch((e) => e)) as { message: string; nonRetryable?: boolean };
    expect(err.message).toMatch(/url_video: download failed with HTTP 404/);
    expect(err.nonRetryable).toBe(true);
  });

  it('retries a 503 and succeeds', async () => {
    const dest = join(dir, 'flaky');
    await downloadToFile(guard, `${base}/flaky`, dest, opts);
    expect(readFileSync(dest, 'utf8')).toBe('finally');
  });
});

describe('Google Drive links', () => {
  it.each([
    ['https://drive.google.com/file/d/1AbCdEfGhIjKlMnOp/view?usp=sharing'],
    ['https://drive.google.com/open?id=1AbCdEfGhIjKlMnOp'],
    ['https://drive.google.com/uc?id=1AbCdEfGhIjKlMnOp&export=download'],
    ['https://docs.google.com/uc?export=download&id=1AbCdEfGhIjKlMnOp'],
  ])('rewrites %s to the direct download endpoint (large-file confirmation included)', (url) => {
    expect(googleDriveDirectUrl(url)).toBe('https://drive.usercontent.google.com/download?id=1AbCdEfGhIjKlMnOp&export=download&confirm=t');
  });

  it('leaves other URLs alone', () => {
    expect(googleDriveDirectUrl('https://example.com/file/d/1AbCdEfGhIjKlMnOp/view')).toBeNull();
  });
});
