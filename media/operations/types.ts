/**
 * An operation turns a validated request into a plan (prepare) and the uploaded outputs into the
 * contract's result object (shape). The same definition serves the local executor and the GPU worker.
 */
import type { StoredObject, UploadTarget } from '../../common/storage';
import type { Plan } from '../plan';
import type { ProbeResult } from '../ffprobe';

export interface PrepareEnv {
  jobId: string;
  processor: 'GPU' | 'VPS';
  /**
   * Fetches an input (once per URL; the local executor reuses the file) and ffprobes it. Use it only
   * when the plan depends on the input (durations, codecs, dimensions). Errors name `label`.
   */
  probeInput(url: string, label: string): Promise<ProbeResult>;
  /** Fetches a small text input (an SRT, a words JSON) and returns its contents. Errors name `label`. */
  fetchText(url: string, label: string): Promise<string>;
  /** GPU path: where the worker PUTs an output; undefined on the local path (the executor uploads). */
  uploadTarget?(key: string, contentType: string): Promise<UploadTarget>;
  signal: AbortSignal;
}

export interface Prepared {
  plan: Plan;
  /** JSON facts shape() needs later (durations, speed factor, ...); travels through Temporal */
  meta: Record<string, unknown>;
}

export interface OperationDef<Req = Record<string, unknown>> {
  prepare(request: Req, env: PrepareEnv): Promise<Prepared>;
  shape(request: Req, meta: Record<string, unknown>, outputs: Record<string, StoredObject>, processor: 'GPU' | 'VPS'): Record<string, unknown>;
}
