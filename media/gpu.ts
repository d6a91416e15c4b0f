/**
 * The GPU side of the media engine, run in the orchestrator: build the plan the GPU worker executes
 * (inputs probed here only when the plan depends on them; outputs get upload URLs so the worker never
 * holds storage credentials), and shape the worker's outputs into the contract's result.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { makeWorkDir } from '../common/work-dirs';
import type { Storage, StoredObject } from '../common/storage';
import type { MediaOperation } from '../workflows/types';
import { probeInputFile, readTextInput } from './input-check';
import { OPERATIONS } from './operations';
import type { Prepared } from './operations/types';
import { compactPlanFiles } from './plan';

export interface GpuPrepareDeps {
  jobId: string;
  storage: Storage;
  tempRoot: string;
  signal: AbortSignal;
  download(url: string, label: string, dest: string): Promise<void>;
}

export async function prepareGpuPlan(operation: MediaOperation, request: Record<string, unknown>, deps: GpuPrepareDeps): Promise<Prepared> {
  const dir = await makeWorkDir(deps.tempRoot, `probe-${deps.jobId}`);
  let n = 0;
  try {
    const prepared = await OPERATIONS[operation].prepare(request as never, {
      jobId: deps.jobId,
      processor: 'GPU',
      signal: deps.signal,
      async probeInput(url, label) {
        // kept until prepare returns (operations may look at a probed file again); the GPU worker
        // fetches its own copy
        const dest = join(dir, String(n++));
        await deps.download(url, label, dest);
        return probeInputFile(dest, label, deps.signal);
      },
      async fetchText(url, label) {
        const dest = join(dir, String(n++));
        await deps.download(url, label, dest);
        return readTextInput(dest, label);
      },
      uploadTarget: (key, contentType) => deps.storage.uploadTarget(key, contentType),
    });
    // the plan is an activity result and the RunPod job's input: big subtitle files go gzipped
    return { ...prepared, plan: compactPlanFiles(prepared.plan) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface GpuWorkerOutput {
  id: string;
  key: string;
  bytes: number;
}

export async function shapeGpuResult(
  operation: MediaOperation,
  request: Record<string, unknown>,
  meta: Record<string, unknown>,
  outputs: GpuWorkerOutput[],
  storage: Storage,
): Promise<Record<string, unknown>> {
  const stored: Record<string, StoredObject> = {};
  for (const o of outputs) stored[o.id] = { key: o.key, bytes: o.bytes, url: await storage.urlFor(o.key) };
  return OPERATIONS[operation].shape(request as never, meta, stored, 'GPU');
}
