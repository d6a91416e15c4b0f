/** What the local executor gets from the activity that runs it (activities/media-local.ts). */
import type { Storage } from '../common/storage';

export interface LocalRunContext {
  jobId: string;
  /** an empty directory for this job (in /dev/shm when present); the caller removes it */
  workDir: string;
  /** aborted when the job is cancelled: kill ffmpeg and return quickly */
  signal: AbortSignal;
  /** progress for GET /jobs/:id and the worker heartbeat; cheap to call often (throttled) */
  progress(update: { stage: string; percent: number }): void;
  /** SSRF-guarded, size-limited download; errors name `label` and are final for 4xx/blocked */
  download(url: string, label: string, dest: string): Promise<void>;
  storage: Storage;
}

export interface LocalRunOutcome {
  /** the contract's webhook `result` for this operation */
  result: Record<string, unknown>;
  /** the video encoder used, for execution.codec ("copy" when nothing was re-encoded) */
  codec: string;
}
