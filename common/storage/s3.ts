/**
 * S3-compatible storage (AWS S3, MinIO, R2, ...) with multipart uploads (lib-storage), path-style
 * addressing for MinIO, and public or presigned download URLs per S3_URL_MODE.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { encodeKey } from './local';
import { keyProblem } from './keys';
import type { Storage, StoredObject, UploadTarget } from './types';

export interface S3Settings {
  endpoint?: string;
  publicUrl?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  bucket: string;
  region: string;
  urlMode: 'public' | 'presigned';
  presignExpiresSeconds: number;
}

export class S3Storage implements Storage {
  readonly driver = 's3' as const;
  private readonly client: S3Client;

  constructor(private readonly s: S3Settings) {
    this.client = new S3Client({
      endpoint: s.endpoint,
      region: s.region,
      forcePathStyle: Boolean(s.endpoint),
      credentials: s.accessKeyId && s.secretAccessKey ? { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } : undefined,
    });
  }

  async putFile(key: string, filePath: string, contentType: string): Promise<StoredObject> {
    check(key);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.s.bucket, Key: key, Body: createReadStream(filePath), ContentType: contentType },
      queueSize: 4,
      partSize: 16 * 1024 * 1024,
    });
    await upload.done();
    return { key, url: await this.urlFor(key), bytes: (await stat(filePath)).size };
  }

  async putBuffer(key: string, body: Buffer | string, contentType: string): Promise<StoredObject> {
    check(key);
    await this.client.send(new PutObjectCommand({ Bucket: this.s.bucket, Key: key, Body: body, ContentType: contentType }));
    return { key, url: await this.urlFor(key), bytes: Buffer.byteLength(body) };
  }

  async urlFor(key: string): Promise<string> {
    if (this.s.urlMode === 'presigned') {
      return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.s.bucket, Key: key }), { expiresIn: this.s.presignExpiresSeconds });
    }
    const base = (this.s.publicUrl ?? this.s.endpoint ?? `https://${this.s.bucket}.s3.${this.s.region}.amazonaws.com`).replace(/\/+$/, '');
    return this.s.publicUrl || this.s.endpoint ? `${base}/${this.s.bucket}/${encodeKey(key)}` : `${base}/${encodeKey(key)}`;
  }

  async uploadTarget(key: string, contentType: string): Promise<UploadTarget> {
    check(key);
    const url = await getSignedUrl(this.client, new PutObjectCommand({ Bucket: this.s.bucket, Key: key, ContentType: contentType }), { expiresIn: 6 * 3600 });
    return { url, headers: { 'content-type': contentType } };
  }

  async stat(key: string): Promise<{ bytes: number } | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.s.bucket, Key: key }));
      return { bytes: Number(head.ContentLength ?? 0) };
    } catch {
      return null;
    }
  }

  async getBuffer(key: string): Promise<Buffer> {
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.s.bucket, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray());
  }

  async health(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.s.bucket }));
  }
}

function check(key: string): void {
  const problem = keyProblem(key);
  if (problem) throw new Error(`invalid storage key: ${problem}`);
}
