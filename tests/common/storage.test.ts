/**
 * Both storage drivers as a worker and a client use them: put a real file, read it back over HTTP
 * from the URL we hand out, and PUT through the upload URL a remote GPU worker receives.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage } from '../../common/storage';
import { S3Storage } from '../../common/storage/s3';
import { startS3Server, type S3Server } from '../helpers/s3-server';
import { startStack, type Stack } from '../helpers/stack';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('S3 driver against a real S3-protocol server', () => {
  let s3: S3Server;
  let dir: string;
  beforeAll(async () => {
    s3 = await startS3Server();
    dir = mkdtempSync(join(tmpdir(), 's3test-'));
  });
  afterAll(async () => {
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const driver = (urlMode: 'public' | 'presigned') =>
    new S3Storage({ endpoint: s3.endpoint, bucket: s3.bucket, region: 'us-east-1', accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey, urlMode, presignExpiresSeconds: 600 });

  it('uploads a 40 MB file in multipart and serves it back byte for byte (path-style public URL)', async () => {
    const data = randomBytes(40 * 1024 * 1024);
    const file = join(dir, 'big.bin');
    writeFileSync(file, data);
    const stored = await driver('public').putFile('Canal/Titulo/videos/big file.mp4', file, 'video/mp4');
    expect(stored.bytes).toBe(data.length);
    expect(stored.url).toBe(`${s3.endpoint}/${s3.bucket}/Canal/Titulo/videos/big%20file.mp4`);
    const back = Buffer.from(await (await fetch(stored.url)).arrayBuffer());
    expect(sha(back)).toBe(sha(data));
  });

  it('hands out presigned GET URLs when asked', async () => {
    const stored = await driver('presigned').putBuffer('p/a.json', '{"a":1}', 'application/json');
    expect(stored.url).toMatch(/X-Amz-Signature=/);
    expect(await (await fetch(stored.url)).json()).toEqual({ a: 1 });
  });

  it('gives remote workers a presigned PUT URL that needs no credentials', async () => {
    const target = await driver('public').uploadTarget('gpu/out.mp4', 'video/mp4');
    const res = await fetch(target.url, { method: 'PUT', body: 'gpu bytes', headers: target.headers });
    expect(res.status).toBe(200);
    expect(await driver('public').stat('gpu/out.mp4')).toEqual({ bytes: 9 });
  });

  it('refuses keys that escape the prefix', async () => {
    await expect(driver('public').putBuffer('../x', 'a', 'text/plain')).rejects.toThrow(/invalid storage key/);
  });
});

describe('local driver served by the API', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({}, { workers: false });
  });
  afterAll(() => stack?.stop());

  it('serves stored files at /files/... with range requests', async () => {
    const stored = await stack.runtime.storage.putBuffer('Canal/a b/video.mp4', Buffer.from('0123456789'), 'video/mp4');
    expect(stored.url).toBe(`${stack.url}/files/Canal/a%20b/video.mp4`);
    expect(await (await fetch(stored.url)).text()).toBe('0123456789');
    const part = await fetch(stored.url, { headers: { range: 'bytes=2-4' } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe('234');
  });

  it('accepts uploads only with a valid signature', async () => {
    const storage = stack.runtime.storage as LocalStorage;
    const target = await storage.uploadTarget('gpu/result.mp4', 'video/mp4');
    expect((await fetch(target.url, { method: 'PUT', body: 'abc', headers: target.headers })).status).toBe(201);
    expect(await (await fetch(`${stack.url}/files/gpu/result.mp4`)).text()).toBe('abc');
    const forged = target.url.replace(/sig=[^&]+/, 'sig=AAAA');
    expect((await fetch(forged, { method: 'PUT', body: 'evil' })).status).toBe(403);
    const otherKey = target.url.replace('gpu/result.mp4', 'gpu/other.mp4');
    expect((await fetch(otherKey, { method: 'PUT', body: 'evil' })).status).toBe(403);
  });

  it('refuses traversal in file paths', async () => {
    const res = await fetch(`${stack.url}/files/..%2F..%2Fapi-key`);
    expect([400, 404]).toContain(res.status);
    expect(await res.text()).not.toContain('adk_');
  });
});
