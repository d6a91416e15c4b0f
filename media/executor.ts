/**
 * The local executor: runs a plan on this machine. Fetches and checks the inputs, writes the plan's
 * files, runs the ffmpeg steps as a dependency graph (several at once, capped by the core count),
 * reports progress across all of them, and uploads each output as soon as the steps writing it are done.
 * Every file lives under ctx.workDir, which the calling activity removes.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { StoredObject } from '../common/storage';
import type { LocalRunContext } from './context';
import { FfmpegError, runFfmpeg } from './ffmpeg';
import { checkInputKind, probeInputFile, readTextInput } from './input-check';
import { planFileBytes, planSchema, type Plan, type PlanStep } from './plan';
import type { PrepareEnv } from './operations/types';

/** The encoder {venc} stands for on this CPU-only path. */
const LOCAL_ENCODER = 'libx264';
/** downloads at once: they wait on the network, not on the CPU */
const DOWNLOAD_CONCURRENCY = 4;

const TOKEN = /\{(in|out|tmp|file):([A-Za-z0-9_.-]{1,64})\}/g;

/** Downloads each URL once into the work dir; shared by prepare (probeInput) and executePlan. */
class InputFetcher {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(private readonly ctx: LocalRunContext, readonly localInputs: Record<string, string>) {}

  fetch(url: string, label: string): Promise<string> {
    const known = this.localInputs[url];
    if (known) return Promise.resolve(known);
    let pending = this.inFlight.get(url);
    if (!pending) {
      pending = this.download(url, label);
      this.inFlight.set(url, pending);
      pending.catch(() => this.inFlight.delete(url));
    }
    return pending;
  }

  private async download(url: string, label: string): Promise<string> {
    const dir = join(this.ctx.workDir, 'in');
    await mkdir(dir, { recursive: true });
    // named after the URL, so fetchers sharing localInputs never collide; keep a plausible extension,
    // some demuxers (subtitles, images) use it as a hint
    const ext = extname(safePathname(url)).toLowerCase();
    const dest = join(dir, `${createHash('sha256').update(url).digest('hex').slice(0, 20)}${/^\.[a-z0-9]{1,5}$/.test(ext) ? ext : ''}`);
    await this.ctx.download(url, label, dest);
    this.localInputs[url] = dest;
    return dest;
  }
}

export function createLocalPrepareEnv(ctx: LocalRunContext): PrepareEnv & { localInputs: Record<string, string> } {
  const fetcher = new InputFetcher(ctx, {});
  return {
    jobId: ctx.jobId,
    processor: 'VPS',
    signal: ctx.signal,
    localInputs: fetcher.localInputs,
    async probeInput(url, label) {
      return probeInputFile(await fetcher.fetch(url, label), label, ctx.signal);
    },
    async fetchText(url, label) {
      return readTextInput(await fetcher.fetch(url, label), label);
    },
  };
}

export interface PlanRun {
  /** output id -> local file */
  files: Record<string, string>;
  /** output id -> stored object */
  uploaded: Record<string, StoredObject>;
  /** "libx264" when a step encoded video with {venc}, else "copy" */
  codec: string;
}

export async function executePlan(rawPlan: Plan, ctx: LocalRunContext, localInputs: Record<string, string> = {}): Promise<PlanRun> {
  const parsed = planSchema.safeParse(rawPlan);
  if (!parsed.success) throw invalidPlan(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const plan = parsed.data;
  const layout = validateReferences(plan);
  const progress = new ProgressTracker(ctx, plan.steps);

  // 1. inputs: download (once per URL), then check each is the kind of media the plan expects
  const fetcher = new InputFetcher(ctx, localInputs);
  const inputPaths: Record<string, string> = {};
  let fetched = 0;
  progress.stage('downloading', 0);
  await forEachLimited(plan.inputs, DOWNLOAD_CONCURRENCY, ctx.signal, async (input) => {
    const path = await fetcher.fetch(input.url, input.label);
    await checkInputKind(path, input.kind, input.label, ctx.signal);
    inputPaths[input.id] = path;
    progress.stage('downloading', (++fetched / plan.inputs.length) * 100);
  });

  // 2. plan files and folders
  for (const dir of ['files', 'tmp', 'out']) await mkdir(join(ctx.workDir, dir), { recursive: true });
  const paths = {
    in: inputPaths,
    out: Object.fromEntries(plan.outputs.map((o) => [o.id, join(ctx.workDir, 'out', `${o.id}${keyExtension(o.key)}`)])),
    file: Object.fromEntries(plan.files.map((f) => [f.name, join(ctx.workDir, 'files', f.name)])),
    tmpDir: join(ctx.workDir, 'tmp'),
  };
  for (const f of plan.files) await writeFile(paths.file[f.name], planFileBytes(f));

  // 3. steps as a DAG; 4. each output uploaded once its writers are done
  const encoder = localEncoder(plan);
  const uploads = new Map<string, Promise<StoredObject>>();
  const startUploads = (done: Set<string>) => {
    for (const output of plan.outputs) {
      if (uploads.has(output.id) || !layout.writers[output.id].every((s) => done.has(s))) continue;
      const upload = ctx.storage.putFile(output.key, paths.out[output.id], output.contentType).catch((err: Error) => {
        // retryable: storage outages are transient; the message says what failed and where
        throw new Error(`uploading output "${output.key}" to ${ctx.storage.driver} storage failed: ${err.message}`);
      });
      upload.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
      uploads.set(output.id, upload);
    }
  };
  const inputLabels = Object.fromEntries(plan.inputs.map((i) => [i.id, i.label]));
  await runDag(plan, ctx.signal, async (step, signal) => {
    const argv = expandArgv(step.argv, paths, encoder);
    try {
      await runFfmpeg(argv, { signal, durationSeconds: step.durationSeconds, onProgress: (f) => progress.step(step.id, f) });
    } catch (err) {
      if (err instanceof FfmpegError) throw stepFailure(step, err, layout.inputsOf[step.id].map((id) => inputLabels[id]));
      throw err;
    }
    progress.step(step.id, 1);
  }, startUploads);

  progress.stage('uploading', 0);
  const uploaded: Record<string, StoredObject> = {};
  for (const [id, upload] of uploads) uploaded[id] = await upload;
  progress.stage('uploading', 100);
  return { files: paths.out, uploaded, codec: layout.usesEncoder ? LOCAL_ENCODER : 'copy' };
}

// ---------------------------------------------------------------------------------------------------

interface Layout {
  /** output id -> steps that write it */
  writers: Record<string, string[]>;
  /** step id -> input ids it reads */
  inputsOf: Record<string, string[]>;
  usesEncoder: boolean;
}

/** Everything a plan refers to must exist, and the step graph must be acyclic: checked before any work. */
function validateReferences(plan: Plan): Layout {
  const unique = (what: string, ids: string[]) => {
    const seen = new Set<string>();
    for (const id of ids) {
      if (id === '.' || id === '..') throw invalidPlan(`${what} "${id}" is not a valid name`);
      if (seen.has(id)) throw invalidPlan(`duplicate ${what} "${id}"`);
      seen.add(id);
    }
    return seen;
  };
  const inputs = unique('input', plan.inputs.map((i) => i.id));
  const outputs = unique('output', plan.outputs.map((o) => o.id));
  const files = unique('file', plan.files.map((f) => f.name));
  const steps = unique('step', plan.steps.map((s) => s.id));

  const layout: Layout = { writers: Object.fromEntries([...outputs].map((o) => [o, []])), inputsOf: {}, usesEncoder: false };
  for (const step of plan.steps) {
    layout.inputsOf[step.id] = [];
    for (const dep of step.dependsOn) if (!steps.has(dep)) throw invalidPlan(`step "${step.id}" depends on unknown step "${dep}"`);
    for (const arg of step.argv) {
      if (arg === '{venc}') {
        if (!plan.encoders[LOCAL_ENCODER]) throw invalidPlan(`step "${step.id}" uses {venc} but the plan has no ${LOCAL_ENCODER} encoder`);
        layout.usesEncoder = true;
        continue;
      }
      if (arg.includes('{venc}')) throw invalidPlan(`step "${step.id}": {venc} must be a whole argument`);
      for (const [, kind, name] of arg.matchAll(TOKEN)) {
        if (name === '.' || name === '..') throw invalidPlan(`step "${step.id}": {${kind}:${name}} is not a valid name`);
        if (kind === 'in' && !inputs.has(name)) throw invalidPlan(`step "${step.id}" reads unknown input "${name}"`);
        if (kind === 'in' && !layout.inputsOf[step.id].includes(name)) layout.inputsOf[step.id].push(name);
        if (kind === 'file' && !files.has(name)) throw invalidPlan(`step "${step.id}" reads unknown file "${name}"`);
        if (kind === 'out') {
          if (!outputs.has(name)) throw invalidPlan(`step "${step.id}" writes unknown output "${name}"`);
          layout.writers[name].push(step.id);
        }
      }
    }
  }
  for (const [output, writers] of Object.entries(layout.writers)) if (!writers.length) throw invalidPlan(`no step writes output "${output}"`);
  assertAcyclic(plan.steps);
  return layout;
}

function assertAcyclic(steps: PlanStep[]): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const byId = new Map(steps.map((s) => [s.id, s]));
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw invalidPlan(`steps depend on each other in a cycle: ${[...path, id].join(' -> ')}`);
    state.set(id, 'visiting');
    for (const dep of byId.get(id)!.dependsOn) visit(dep, [...path, id]);
    state.set(id, 'done');
  };
  for (const s of steps) visit(s.id, []);
}

function expandArgv(argv: string[], paths: { in: Record<string, string>; out: Record<string, string>; file: Record<string, string>; tmpDir: string }, encoder: string[] | undefined): string[] {
  return argv.flatMap((arg) => {
    if (arg === '{venc}') return encoder!;
    return [
      arg.replace(TOKEN, (_m, kind: string, name: string) => {
        if (kind === 'tmp') return join(paths.tmpDir, name);
        return (paths[kind as 'in' | 'out' | 'file'] as Record<string, string>)[name];
      }),
    ];
  });
}

/** steps at once: the plan's limit, capped by this machine's cores */
function parallelLimit(plan: Plan): number {
  return Math.max(1, Math.min(plan.maxParallelSteps, availableParallelism()));
}

/**
 * {venc}'s arguments here. With several encodes side by side each libx264 gets its share of the cores
 * (one thread each on 2 cores), which beats x264's own frame threads: no ramp-up or tail per clip and
 * no oversubscription. A step that runs alone keeps x264's automatic threading.
 */
function localEncoder(plan: Plan): string[] | undefined {
  const encoder = plan.encoders[LOCAL_ENCODER];
  const concurrent = Math.min(parallelLimit(plan), plan.steps.length);
  if (!encoder || concurrent <= 1) return encoder;
  return [...encoder, '-threads', String(Math.max(1, Math.floor(availableParallelism() / concurrent)))];
}

/**
 * Runs every step once its dependencies are done, at most min(plan.maxParallelSteps, cores) at once.
 * On the first failure the running steps are killed and the failure is thrown; cancellation kills them
 * too and throws the signal's reason.
 */
async function runDag(plan: Plan, jobSignal: AbortSignal, run: (step: PlanStep, signal: AbortSignal) => Promise<void>, onDone: (done: Set<string>) => void): Promise<void> {
  const limit = parallelLimit(plan);
  const stop = new AbortController();
  const signal = AbortSignal.any([jobSignal, stop.signal]);
  const done = new Set<string>();
  const started = new Set<string>();
  const running = new Map<string, Promise<void>>();
  let failure: unknown;
  const cancelled = abortPromise(jobSignal);

  while (done.size < plan.steps.length && failure === undefined && !jobSignal.aborted) {
    for (const step of plan.steps) {
      if (running.size >= limit) break;
      if (started.has(step.id) || !step.dependsOn.every((d) => done.has(d))) continue;
      started.add(step.id);
      running.set(
        step.id,
        run(step, signal).then(
          () => {
            running.delete(step.id);
            done.add(step.id);
            onDone(done);
          },
          (err) => {
            running.delete(step.id);
            failure ??= err;
          },
        ),
      );
    }
    await Promise.race([...running.values(), cancelled]);
  }
  if (failure !== undefined || jobSignal.aborted) {
    stop.abort();
    await Promise.allSettled(running.values()); // ffmpeg processes are gone before we return
    if (jobSignal.aborted) throw jobSignal.reason ?? new Error('cancelled');
    throw failure;
  }
}

function abortPromise(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Runs fn over items with at most `limit` at once; stops starting new ones after a failure. */
async function forEachLimited<T>(items: T[], limit: number, signal: AbortSignal, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      if (signal.aborted) throw signal.reason ?? new Error('cancelled');
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (signal.aborted) throw signal.reason ?? new Error('cancelled');
  if (rejected) throw rejected.reason;
}

/** Progress over the whole plan: downloads 0–10 %, steps 10–95 % (by weight), uploads 95–100 %. */
class ProgressTracker {
  private readonly fractions = new Map<string, number>();
  private readonly weights: Map<string, number>;
  private readonly totalWeight: number;
  private last = -1;

  constructor(private readonly ctx: LocalRunContext, steps: PlanStep[]) {
    this.weights = new Map(steps.map((s) => [s.id, s.weight ?? 1]));
    this.totalWeight = [...this.weights.values()].reduce((a, b) => a + b, 0);
  }

  stage(stage: 'downloading' | 'uploading', percent: number): void {
    this.emit(stage, stage === 'downloading' ? percent * 0.1 : 95 + percent * 0.05);
  }

  step(id: string, fraction: number): void {
    this.fractions.set(id, Math.max(this.fractions.get(id) ?? 0, fraction));
    let sum = 0;
    for (const [stepId, f] of this.fractions) sum += f * this.weights.get(stepId)!;
    this.emit('processing', 10 + (85 * sum) / this.totalWeight);
  }

  private emit(stage: string, percent: number): void {
    const rounded = Math.min(100, Math.round(percent * 10) / 10);
    if (rounded < this.last) return; // never go backwards
    this.last = rounded;
    this.ctx.progress({ stage, percent: rounded });
  }
}

function stepFailure(step: PlanStep, err: FfmpegError, inputLabels: string[]): Error {
  const about = inputLabels.length ? ` (input${inputLabels.length > 1 ? 's' : ''} ${inputLabels.join(', ')})` : '';
  const message = `step "${step.id}"${about} failed: ${err.message}`;
  const details = { step: step.id, inputs: inputLabels, exitCode: err.exitCode, stderrTail: err.stderrTail };
  // killed by a signal (out of memory, host shutdown): worth a retry; a non-zero exit is deterministic
  if (err.exitCode === null) return Object.assign(new Error(message), { details });
  return ApplicationFailure.create({ message, type: 'MediaProcessingFailed', nonRetryable: true, details: [details] });
}

function invalidPlan(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message: `invalid media plan: ${message}`, type: 'InvalidPlan', nonRetryable: true });
}

function keyExtension(key: string): string {
  const ext = extname(key.split('/').pop() ?? '');
  return /^\.[A-Za-z0-9]{1,8}$/.test(ext) ? ext : '';
}

function safePathname(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '';
  }
}
