/**
 * Runs media operations the way the /vps/* activity does (runOperationLocally) against real files
 * served over HTTP, a temp LocalStorage and the SSRF guard (127.0.0.1 allow-listed).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import * as schemas from '../../api/schemas/media';
import { downloadToFile } from '../../common/net/download';
import { Guard } from '../../common/net/guarded-fetch';
import { guardedAgent, parseAllowList } from '../../common/net/ssrf';
import { LocalStorage } from '../../common/storage';
import { runOperationLocally } from '../../media';
import type { LocalRunOutcome } from '../../media/context';
import type { MediaOperation } from '../../workflows/types';
import { serveDirectory, type FileServer } from '../helpers/http-files';

/** Requests go through the API's schemas first, as they do in production (defaults filled in). */
const REQUEST_SCHEMAS: Record<MediaOperation, z.ZodType> = {
  img2vid: schemas.img2vidRequest,
  caption_style: schemas.captionStyleRequest,
  addaudio: schemas.addaudioRequest,
  concatenate: schemas.concatenateRequest,
  concat_video_audio: schemas.concatVideoAudioRequest,
  trilhasonora: schemas.trilhasonoraRequest,
  audio_concatenate: schemas.audioConcatenateRequest,
  audio_trilhasonora: schemas.audioTrilhasonoraRequest,
};

export interface MediaRig {
  /** where test media is written; served at files.url(name) */
  mediaDir: string;
  files: FileServer;
  storage: LocalStorage;
  run(operation: MediaOperation, request: Record<string, unknown>, opts?: { signal?: AbortSignal }): Promise<LocalRunOutcome & { workDir: string }>;
  /** local path of a stored output key */
  stored(key: string): string;
  close(): Promise<void>;
}

export async function createMediaRig(): Promise<MediaRig> {
  const root = await mkdtemp(join(tmpdir(), 'autodark-media-test-'));
  const mediaDir = join(root, 'media');
  await mkdir(mediaDir);
  const files = await serveDirectory(mediaDir);
  const storage = new LocalStorage(join(root, 'data'), 'http://127.0.0.1:9', 'test-signing-key');
  const allow = parseAllowList(['127.0.0.1']);
  const guard = new Guard(allow, guardedAgent(allow));
  let jobs = 0;
  return {
    mediaDir,
    files,
    storage,
    async run(operation, request, opts = {}) {
      const workDir = await mkdtemp(join(root, `job-${++jobs}-`));
      const signal = opts.signal ?? new AbortController().signal;
      const validated = REQUEST_SCHEMAS[operation].parse(request) as Record<string, unknown>;
      const outcome = await runOperationLocally(operation, validated, {
        jobId: `test-${jobs}`,
        workDir,
        signal,
        progress: () => undefined,
        storage,
        download: async (url, label, dest) => {
          await downloadToFile(guard, url, dest, { label, maxBytes: 512 * 1024 * 1024, timeoutMs: 60_000, signal });
        },
      });
      return { ...outcome, workDir };
    },
    stored: (key) => storage.pathOf(key),
    async close() {
      await files.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
