import { createHmac } from 'node:crypto';
import type { Config } from '../config';
import { LocalStorage } from './local';
import { S3Storage } from './s3';
import type { Storage } from './types';

export * from './types';
export { LocalStorage } from './local';

export function createStorage(config: Config): Storage {
  if (config.storageDriver === 's3') {
    return new S3Storage({
      endpoint: config.S3_ENDPOINT_URL,
      publicUrl: config.S3_PUBLIC_URL,
      accessKeyId: config.S3_ACCESS_KEY,
      secretAccessKey: config.S3_SECRET_KEY,
      bucket: config.S3_BUCKET_NAME,
      region: config.S3_REGION,
      urlMode: config.S3_URL_MODE,
      presignExpiresSeconds: config.S3_PRESIGN_EXPIRES_S,
    });
  }
  // upload URLs are signed with a key derived from the API key, so no extra secret to manage
  const signingKey = createHmac('sha256', config.apiKey).update('autodark-local-uploads').digest('hex');
  return new LocalStorage(config.dataDir, config.publicBaseUrl, signingKey);
}
