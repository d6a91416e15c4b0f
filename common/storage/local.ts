/**
 * Local-disk storage under DATA_DIR/files. The API serves GET /files/<key>; remote workers upload with
 * PUT /files/<key>?expires=..&sig=.., an HMAC-signed URL (the local twin of an S3 presigned PUT).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { keyProblem } from './keys';
import type { Storage, StoredObject, UploadTarget } from './types';

export class LocalStorage implements Storage {
  readonly driver = 'local' as const;
  readonly root: string;

  constructor(dataDir: string, private readonly publicBaseUrl: string, private readonly signingKey: string) {
    this.root = resolve(dataDir, 'files');
  }

  /** Absolute path of a key, refusing anything that would escape the root. */
  pathOf(key: string): string {
    const problem = keyProblem(key);
    if (problem) throw new Error(`invalid storage key: ${problem}`);
    const full = resolve(this.root, key);
    if (!full.startsWith(this.root + sep)) throw new Error('invalid storage key: escapes the storage root');
    return full;
  }

  async putFile(key: string, filePath: string, _contentType: string): Promise<StoredObject> {
    const dest = this.pathOf(key);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.part-${process.pid}-${Date.now()}`;
    await copyFile(filePath, tmp);
    await rename(tmp, dest); // readers never see a half-written file
    return { key, url: await this.urlFor(key), bytes: (await stat(dest)).size };
  }

  async putBuffer(key: string, body: Buffer | string, _contentType: string): Promise<StoredObject> {
    const dest = this.pathOf(key);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.part-${process.pid}-${Date.now()}`;
    await writeFile(tmp, body);
    await rename(tmp, dest);
    return { key, url: await this.urlFor(key), bytes: Buffer.byteLength(body) };
  }

  async urlFor(key: string): Promise<string> {
    return `${this.publicBaseUrl}/files/${encodeKey(key)}`;
  }

  async uploadTarget(key: string, contentType: string, ttlSeconds = 6 * 3600): Promise<UploadTarget> {
    this.pathOf(key);
    const expires = Math.floor(Date.now() / 1000) + ttlSeconds;
    const sig = this.sign(key, expires);
    return { url: `${this.publicBaseUrl}/files/${encodeKey(key)}?expires=${expires}&sig=${sig}`, headers: { 'content-type': contentType } };
  }

  verifyUpload(key: string, expires: number, sig: string): boolean {
    if (!Number.isFinite(expires) || expires < Date.now() / 1000) return false;
    const expected = Buffer.from(this.sign(key, expires));
    const given = Buffer.from(sig);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  async stat(key: string): Promise<{ bytes: number } | null> {
    try {
      return { bytes: (await stat(this.pathOf(key))).size };
    } catch {
      return null;
    }
  }

  async getBuffer(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key));
  }

  async health(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await writeFile(join(this.root, '.health'), String(Date.now()));
  }

  private sign(key: string, expires: number): string {
    return createHmac('sha256', this.signingKey).update(`PUT\n${key}\n${expires}`).digest('base64url');
  }
}

export function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
