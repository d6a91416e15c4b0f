/**
 * The local storage driver's HTTP face: GET /files/<key> serves outputs (with Range support) and
 * PUT /files/<key>?expires&sig accepts uploads from GPU workers holding a signed URL. Public: the
 * URLs themselves are the capability (as with S3 public-read and presigned URLs).
 */
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { dirname, extname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import type { LocalStorage } from '../../common/storage';

const TYPES: Record<string, string> = {
  '.mp4': 'video/mp4', '.mp3': 'audio/mpeg', '.m4a': 'audio/mp4', '.wav': 'audio/wav', '.aac': 'audio/aac',
  '.srt': 'application/x-subrip', '.vtt': 'text/vtt', '.ass': 'text/x-ssa', '.json': 'application/json',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.txt': 'text/plain; charset=utf-8',
};

export function registerFileRoutes(app: FastifyInstance, storage: LocalStorage, maxUploadBytes: number): void {
  // uploads are raw bytes of any type: don't let the JSON parser touch them
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));

  app.get('/files/*', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const key = decodeURIComponent((request.params as { '*': string })['*']);
    let path: string;
    try {
      path = storage.pathOf(key);
    } catch {
      return reply.code(400).send({ error: 'Bad request', message: 'invalid file key' });
    }
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) return reply.code(404).send({ error: 'Not found', message: 'file not found' });
    reply.header('content-type', TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream');
    reply.header('accept-ranges', 'bytes');
    const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
    if (range && (range[1] || range[2])) {
      const start = range[1] ? Number(range[1]) : Math.max(0, info.size - Number(range[2]));
      const end = range[1] && range[2] ? Math.min(Number(range[2]), info.size - 1) : info.size - 1;
      if (start > end || start >= info.size) return reply.code(416).header('content-range', `bytes */${info.size}`).send();
      reply.code(206).header('content-range', `bytes ${start}-${end}/${info.size}`).header('content-length', end - start + 1);
      return reply.send(createReadStream(path, { start, end }));
    }
    reply.header('content-length', info.size);
    return reply.send(createReadStream(path));
  });

  app.put('/files/*', { config: { public: true }, bodyLimit: maxUploadBytes, schema: { hide: true } }, async (request, reply) => {
    const key = decodeURIComponent((request.params as { '*': string })['*']);
    const q = request.query as { expires?: string; sig?: string };
    if (!q.sig || !storage.verifyUpload(key, Number(q.expires), q.sig)) {
      return reply.code(403).send({ error: 'Forbidden', message: 'invalid or expired upload signature' });
    }
    const dest = storage.pathOf(key);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.upload-${request.id}`;
    let bytes = 0;
    try {
      request.raw.on('data', (c: Buffer) => {
        bytes += c.length;
        if (bytes > maxUploadBytes) request.raw.destroy(new Error('upload too large'));
      });
      await pipeline(request.raw, createWriteStream(tmp));
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      return reply.code(bytes > maxUploadBytes ? 413 : 400).send({ error: 'Upload failed', message: (err as Error).message });
    }
    return reply.code(201).send({ key, bytes });
  });
}
