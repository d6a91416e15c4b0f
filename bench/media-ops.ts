/**
 * Media-operation benchmarks (part B), side by side in one run:
 *   1. concatenate of compatible clips (stream copy) vs a full re-encode of the same join (target ≥ 20×)
 *   2. addaudio on a 10 s 1080p video (target < 0.5 s of ffmpeg time, video copied)
 *   3. trilhasonora on the same video (target < 0.5 s of ffmpeg time, video copied)
 *   4. caption burn vs a plain transcode with the same encoder settings (target ≤ 1.10×)
 * "ffmpeg" figures are the plan's ffmpeg steps: wall and CPU time (user + system) of the processing
 * as ffmpeg's -benchmark reports it (on a shared machine CPU time is the steadier measure), and the
 * wall time of the whole processes (start-up and input probing included). "end to end" adds
 * preparing (fetch, probe, integrity and level checks) and the executor's checks and upload.
 * Medians of BENCH_RUNS runs (default 3).
 * Usage: npx tsx bench/media-ops.ts   → bench/results/media-ops.json
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as schemas from '../api/schemas/media';
import { LocalStorage } from '../common/storage';
import type { LocalRunContext } from '../media/context';
import { createLocalPrepareEnv, executePlan } from '../media/executor';
import { addaudio } from '../media/operations/addaudio';
import { captionStyle } from '../media/operations/caption-style';
import { concatenate } from '../media/operations/concatenate';
import { AAC_192K, VIDEO_ENCODERS } from '../media/operations/shared';
import { trilhasonora } from '../media/operations/trilhasonora';
import type { OperationDef } from '../media/operations/types';
import type { Plan } from '../media/plan';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const HOST = 'http://bench.invalid/';

let root: string;
let mediaDir: string;

async function ff(args: string[]) {
  await run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], { maxBuffer: 64 * 1024 * 1024 });
}

async function makeMedia() {
  const m = (f: string) => join(mediaDir, f);
  const clip = (f: string, seconds: number, extra: string[] = []) =>
    ff(['-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${seconds}`, '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`, ...extra, '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-shortest', m(f)]);
  for (let i = 0; i < 4; i++) await clip(`clip${i}.mp4`, 5);
  await run('espeak-ng', ['-v', 'pt', '-s', '150', '-w', m('speech.wav'), 'Esta é a narração do vídeo de teste, com dez segundos de fala e algumas pausas entre as frases para a trilha sonora respirar.']);
  await ff(['-i', m('speech.wav'), '-af', 'apad=whole_dur=10', '-t', '10', '-c:a', 'libmp3lame', '-b:a', '128k', m('narration.mp3')]);
  await ff(['-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30:duration=10', '-i', m('narration.mp3'), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-shortest', m('video10.mp4')]);
  // music-like stereo (tones + pink noise): a pure sine is a pathological, slow case for the AAC encoder
  await ff([
    ...['sine=f=220', 'sine=f=330', 'anoisesrc=c=pink:a=0.08:seed=1', 'anoisesrc=c=pink:a=0.08:seed=2'].flatMap((src) => ['-f', 'lavfi', '-i', `${src}:d=30:${src.startsWith('sine') ? 'sample_rate' : 'r'}=44100`]),
    '-filter_complex', '[0][2]amix=2:normalize=0[l];[1][3]amix=2:normalize=0[r];[l][r]amerge=inputs=2,volume=0.5[m]',
    '-map', '[m]', '-c:a', 'libmp3lame', '-b:a', '192k', m('music.mp3'),
  ]);
  const cues = Array.from({ length: 10 }, (_, i) => `${i + 1}\n00:00:${String(i).padStart(2, '0')},100 --> 00:00:${String(i).padStart(2, '0')},900\nLegenda número ${i + 1} do vídeo\n`);
  await writeFile(m('captions.srt'), cues.join('\n'));
}

/** A LocalRunContext whose downloads are local copies: the benchmark measures media work, not HTTP. */
async function context(name: string): Promise<LocalRunContext> {
  const workDir = await mkdtemp(join(root, `${name}-`));
  return {
    jobId: name,
    workDir,
    signal: new AbortController().signal,
    progress: () => undefined,
    storage: new LocalStorage(join(root, 'data'), 'http://127.0.0.1:9', 'bench'),
    download: (url, _label, dest) => copyFile(join(mediaDir, url.slice(HOST.length)), dest),
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (ms: number) => Math.round(ms) / 1000;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

interface Cost {
  wall: number;
  cpu: number;
  process: number;
}

/** One ffmpeg run, with its wall and CPU seconds as ffmpeg itself reports them (-benchmark). */
async function ffmpegCost(argv: string[]): Promise<Cost> {
  const t0 = performance.now();
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-benchmark', ...argv], { maxBuffer: 64 * 1024 * 1024 });
  const process = (performance.now() - t0) / 1000;
  const m = /utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(stderr);
  if (!m) throw new Error(`no -benchmark line in ffmpeg output: ${stderr.slice(-300)}`);
  return { wall: Number(m[3]), cpu: Number(m[1]) + Number(m[2]), process };
}

/** Runs a plan's ffmpeg steps in order (our plans list them in dependency order), costing only ffmpeg. */
async function timeSteps(plan: Plan, localInputs: Record<string, string>, ctx: LocalRunContext, transform: (argv: string[]) => string[] = (a) => a): Promise<Cost> {
  const dirs = { files: join(ctx.workDir, 'files'), tmp: join(ctx.workDir, 'tmp'), out: join(ctx.workDir, 'out') };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
  for (const f of plan.files) await writeFile(join(dirs.files, f.name), f.content);
  const inputs = Object.fromEntries(plan.inputs.map((i) => [i.id, localInputs[i.url]]));
  const expand = (argv: string[]) =>
    argv.flatMap((a) =>
      a === '{venc}'
        ? plan.encoders.libx264
        : [a.replace(/\{(in|out|tmp|file):([A-Za-z0-9_.-]+)\}/g, (_m, kind: string, id: string) => (kind === 'in' ? inputs[id] : join(kind === 'file' ? dirs.files : kind === 'tmp' ? dirs.tmp : dirs.out, kind === 'out' ? `${id}.mp4` : id)))],
    );
  const total: Cost = { wall: 0, cpu: 0, process: 0 };
  for (const step of plan.steps) {
    const cost = await ffmpegCost(expand(transform(step.argv)));
    total.wall += cost.wall;
    total.cpu += cost.cpu;
    total.process += cost.process;
  }
  return total;
}

/** medians, in seconds with 3 decimals */
function summarise(costs: Cost[]): { wallSeconds: number; cpuSeconds: number; processWallSeconds: number } {
  const r = (n: number) => Math.round(n * 1000) / 1000;
  return { wallSeconds: r(median(costs.map((c) => c.wall))), cpuSeconds: r(median(costs.map((c) => c.cpu))), processWallSeconds: r(median(costs.map((c) => c.process))) };
}

interface Measured {
  ffmpeg: ReturnType<typeof summarise>;
  endToEndSeconds: number;
  codec: string;
}

async function measureOperation(name: string, def: OperationDef<never>, request: unknown): Promise<Measured> {
  const costs: Cost[] = [];
  const endToEnd: number[] = [];
  let codec = '';
  for (let r = 0; r < RUNS; r++) {
    const ctx = await context(`${name}-${r}`);
    const env = createLocalPrepareEnv(ctx);
    let plan: Plan | undefined;
    endToEnd.push(
      await timed(async () => {
        const prepared = await def.prepare(request as never, env);
        plan = prepared.plan;
        codec = (await executePlan(prepared.plan, ctx, env.localInputs)).codec;
      }),
    );
    costs.push(await timeSteps(plan!, env.localInputs, ctx));
    await rm(ctx.workDir, { recursive: true, force: true });
  }
  return { ffmpeg: summarise(costs), endToEndSeconds: seconds(median(endToEnd)), codec };
}

async function main() {
  root = await mkdtemp(join(tmpdir(), 'autodark-bench-media-'));
  mediaDir = join(root, 'media');
  await mkdir(mediaDir);
  try {
    console.log('making test media (1080p clips, narration, music)…');
    await makeMedia();
    const url = (f: string) => `${HOST}${f}`;
    const common = { webhook_url: 'https://example.com/hook', path: 'bench/videos/' };

    // 1. concatenate: stream copy vs the same join fully re-encoded
    const clips = ['clip0.mp4', 'clip1.mp4', 'clip2.mp4', 'clip3.mp4'];
    const cat = await measureOperation('concatenate', concatenate as OperationDef<never>, schemas.concatenateRequest.parse({ ...common, output_filename: 'cat.mp4', video_urls: clips.map(url) }));
    const reencodeCosts: Cost[] = [];
    for (let r = 0; r < RUNS; r++) {
      const out = join(root, 'reencode.mp4');
      const argv = [...clips.flatMap((c) => ['-i', join(mediaDir, c)]), '-filter_complex', `${clips.map((_, i) => `[${i}:v:0][${i}:a:0]`).join('')}concat=n=${clips.length}:v=1:a=1[v][a]`, '-map', '[v]', '-map', '[a]', ...VIDEO_ENCODERS.libx264, ...AAC_192K, '-f', 'mp4', out];
      reencodeCosts.push(await ffmpegCost(argv));
    }
    const reencode = summarise(reencodeCosts);

    // 2, 3: addaudio and trilhasonora on a 10 s 1080p video
    const add = await measureOperation('addaudio', addaudio as OperationDef<never>, schemas.addaudioRequest.parse({ ...common, output_filename: 'add.mp4', url_video: url('video10.mp4'), url_audio: url('narration.mp3') }));
    const tri = await measureOperation('trilhasonora', trilhasonora as OperationDef<never>, schemas.trilhasonoraRequest.parse({ ...common, output_filename: 'tri.mp4', url_video: url('video10.mp4'), trilha_sonora: url('music.mp3') }));

    // 4. caption burn vs the same step without the subtitle filter, alternating so load changes hit both
    const captionRequest = schemas.captionStyleRequest.parse({ ...common, output_filename: 'cap.mp4', url_video: url('video10.mp4'), url_caption: url('captions.srt'), type: 'segments' });
    const captionCtx = await context('caption');
    const captionEnv = createLocalPrepareEnv(captionCtx);
    const captionPlan = (await captionStyle.prepare(captionRequest as never, captionEnv)).plan;
    const withoutSubtitles = (argv: string[]) => argv.filter((a, i) => a !== '-vf' && argv[i - 1] !== '-vf');
    const burnCosts: Cost[] = [];
    const plainCosts: Cost[] = [];
    for (let r = 0; r < RUNS; r++) {
      burnCosts.push(await timeSteps(captionPlan, captionEnv.localInputs, captionCtx));
      plainCosts.push(await timeSteps(captionPlan, captionEnv.localInputs, captionCtx, withoutSubtitles));
    }
    const burn = summarise(burnCosts);
    const plain = summarise(plainCosts);

    const results = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model, note: 'shared CI-class machine; timings are medians' },
      runs: RUNS,
      concatenate: {
        clips: '4 × 5 s 1920x1080 30 fps H.264/AAC, identical parameters',
        streamCopy: { ...cat.ffmpeg, endToEndSeconds: cat.endToEndSeconds, codec: cat.codec },
        fullReencode: reencode,
        speedupWall: ratio(reencode.wallSeconds, cat.ffmpeg.wallSeconds, 1),
        speedupCpu: ratio(reencode.cpuSeconds, cat.ffmpeg.cpuSeconds, 1),
        target: '≥ 20×',
      },
      addaudio: { input: '10 s 1080p30 + 10 s MP3 narration', ...add, target: '< 0.5 s ffmpeg, video copied' },
      trilhasonora: { input: '10 s 1080p30 with narration + 30 s stereo MP3 music (tones + pink noise)', ...tri, target: '< 0.5 s ffmpeg, video copied' },
      captionBurn: {
        input: '10 s 1080p30, 10 SRT cues, libx264 veryfast crf 23',
        burn,
        plainTranscode: plain,
        ratioWall: ratio(burn.wallSeconds, plain.wallSeconds, 3),
        ratioCpu: ratio(burn.cpuSeconds, plain.cpuSeconds, 3),
        target: '≤ 1.10×',
      },
    };
    const outDir = resolve(__dirname, 'results');
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, 'media-ops.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(JSON.stringify(results, null, 2));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function ratio(a: number, b: number, digits: number): number {
  return Number((a / b).toFixed(digits));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
