/** A real S3-protocol server for tests: moto in server mode (from .venv), on a free loopback port. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, stopChild } from '../../scripts/temporal-dev';

export interface S3Server {
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  stop(): Promise<void>;
}

export async function startS3Server(bucket = 'autodark-test'): Promise<S3Server> {
  const port = await freePort();
  const child = spawn(resolve(__dirname, '../../.venv/bin/moto_server'), ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(500) });
      break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('S3 server did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const accessKey = 'testaccess';
  const secretKey = 'testsecret';
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey } });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return { endpoint, bucket, accessKey, secretKey, stop: () => stopChild(child) };
}
