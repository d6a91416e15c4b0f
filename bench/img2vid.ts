/**
 * img2vid benchmark, side by side in one run on the same photos and output settings (1920x1080,
 * 24 fps, libx264 veryfast crf 23):
 *   1. our Ken Burns clip vs the seed's recipe (image looped, lanczos upscale to 6× the image,
 *      zoompan, bicubic to 1080p)  — target ≥ 10× faster
 *   2. frame-to-frame jitter of both (measured on the frames before encoding) — target ≤ 0.05 px std
 *   3. our clip vs merely encoding the same frames with the same settings — target ≤ 1.3×
 * Times are ffmpeg's own -benchmark figures: wall (rtime) and CPU (utime + stime). Our clip, the
 * encode-only run and the seed run take turns, BENCH_RUNS times (default 5); figures are medians, and
 * ratios are medians of the per-turn ratios, so load from other work on a shared machine hits both
 * sides of a comparison alike.
 * Usage: npx tsx bench/img2vid.ts   → bench/results/img2vid.json
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { buildClip } from '../media/kenburns/clip';
import { MP4_OUT, VIDEO_ENCODERS } from '../media/operations/shared';
import { clipMotion, decodeGray, frameJitterStd } from '../tests/helpers/motion';
import { makePhotos } from './photos';

const run = promisify(execFile);
const WIDTH = 1920;
const HEIGHT = 1080;
const FPS = 24;
const SECONDS = 5;
const FRAMES = SECONDS * FPS;
const ENCODE = [...VIDEO_ENCODERS.libx264, ...MP4_OUT];
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Timing {
  wall: number;
  cpu: number;
}

let root: string;
let work: string;

async function ff(args: string[]): Promise<Timing> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-nostats', '-v', 'info', '-benchmark', '-y', ...args], { maxBuffer: 64 * 1024 * 1024 });
  const m = /bench: utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(stderr);
  if (!m) throw new Error(`no -benchmark line in: ${stderr.slice(-300)}`);
  return { cpu: Number(m[1]) + Number(m[2]), wall: Number(m[3]) };
}

/** The seed's rp_handler.image_to_video (GPU worker) argv, zoomin, for an image of w×h. */
function seedArgv(photo: string, w: number, h: number, out: string[]): string[] {
  const filter = [
    `scale=${w * 6}:${h * 6}:flags=lanczos`,
    `zoompan=z='min(1.0+0.4*on/${FRAMES},1.4)':d=${FRAMES}:x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':s=${WIDTH}x${HEIGHT}:fps=${FPS}`,
    `scale=${WIDTH}:${HEIGHT}:flags=bicubic`,
    'format=nv12',
  ].join(',');
  return ['-framerate', String(FPS), '-loop', '1', '-i', photo, '-vf', filter, ...out];
}

async function imageSize(path: string): Promise<[number, number]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', path]);
  return stdout.trim().split(',').map(Number) as [number, number];
}

async function jitterOf(path: string): Promise<number> {
  const video = await decodeGray(path);
  const { frames } = clipMotion(video, { cols: 4, rows: 3, margin: 0.12, radius: 24, search: 10 });
  return frameJitterStd(frames, video.width, video.height);
}

async function clipComparison(photo: string) {
  const name = photo.split('/').pop()!;
  const recipe = buildClip({ zoomType: 'zoomin', frames: FRAMES, fps: FPS, width: WIDTH, height: HEIGHT });
  const commands = join(work, 'motion.cmd');
  await writeFile(commands, recipe.commands!);
  const graph = recipe.graph.replace('{cmd}', commands);
  // as media/operations/img2vid.ts runs it
  const ours = (out: string[]) => ['-filter_complex_threads', '1', '-i', photo, '-filter_complex', graph, '-map', '[v]', '-frames:v', String(FRAMES), ...out];
  const raw = join(work, 'frames.y4m');

  await ff(ours(['-f', 'yuv4mpegpipe', raw]));
  const oursJitter = await jitterOf(raw);
  const [w, h] = await imageSize(photo);
  const turns: { ours: Timing; encodeOnly: Timing; seed: Timing }[] = [];
  for (let i = 0; i < RUNS; i++) {
    turns.push({
      ours: await ff(ours([...ENCODE, join(work, 'ours.mp4')])),
      encodeOnly: await ff(['-i', raw, ...ENCODE, join(work, 'encoded.mp4')]),
      seed: await ff(seedArgv(photo, w, h, ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-maxrate', '10M', '-bufsize', '20M', '-threads', '0', '-t', String(SECONDS), join(work, 'seed.mp4')])),
    });
  }
  await rm(raw);
  const of = (pick: (t: (typeof turns)[number]) => number) => median(turns.map(pick));
  const timing = (side: 'ours' | 'encodeOnly' | 'seed'): Timing => ({ wall: of((t) => t[side].wall), cpu: of((t) => t[side].cpu) });

  // the seed's frames before encoding, for its jitter (the first 48 are enough and keep this short)
  await ff(seedArgv(photo, w, h, ['-frames:v', '48', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', raw]));
  const seedJitter = await jitterOf(raw);
  await rm(raw);

  return {
    photo: name,
    size: `${w}x${h}`,
    ours: timing('ours'),
    seed: timing('seed'),
    encodeOnly: timing('encodeOnly'),
    speedupWall: of((t) => t.seed.wall / t.ours.wall),
    speedupCpu: of((t) => t.seed.cpu / t.ours.cpu),
    // what a method whose picture work were free would reach with the same encoder settings
    speedupCeilingWall: of((t) => t.seed.wall / t.encodeOnly.wall),
    // the picture work alone (CPU beyond what encoding the frames costs), where the methods differ
    pictureWorkCpu: { ours: of((t) => t.ours.cpu - t.encodeOnly.cpu), seed: of((t) => t.seed.cpu - t.encodeOnly.cpu) },
    vsEncodeWall: of((t) => t.ours.wall / t.encodeOnly.wall),
    vsEncodeCpu: of((t) => t.ours.cpu / t.encodeOnly.cpu),
    turns,
    jitterPx: { ours: oursJitter, seed: seedJitter },
    oursWorstFramePx: recipe.maxError,
  };
}

const f2 = (n: number) => n.toFixed(2);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  root = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'autodark-bench-img2vid-'));
  work = join(root, 'work');
  await mkdir(work);
  const loadBefore = loadavg()[0];
  try {
    const photos = await makePhotos(root);
    const clips = [];
    for (const photo of photos) {
      clips.push(await clipComparison(photo));
      console.log(JSON.stringify(clips.at(-1)));
    }

    console.log(`\nimg2vid bench: ${WIDTH}x${HEIGHT} ${FPS} fps, ${SECONDS} s zoomin clips, libx264 veryfast crf 23; ${cpus().length} cores (${cpus()[0]?.model}), load ${f2(loadBefore)} → ${f2(loadavg()[0])}`);
    console.log(`times: wall / CPU seconds (ffmpeg -benchmark, medians of ${RUNS})\n`);
    const rows = clips.map((c) => [c.photo, c.size, `${f2(c.ours.wall)} / ${f2(c.ours.cpu)}`, `${f2(c.seed.wall)} / ${f2(c.seed.cpu)}`, `${f2(c.speedupWall)}× / ${f2(c.speedupCpu)}×`, `${f2(c.speedupCeilingWall)}×`, `${f2(c.pictureWorkCpu.ours)} / ${f2(c.pictureWorkCpu.seed)}`, `${f2(c.encodeOnly.wall)} / ${f2(c.encodeOnly.cpu)}`, `${f2(c.vsEncodeWall)}× / ${f2(c.vsEncodeCpu)}×`, c.jitterPx.ours.toFixed(3), c.jitterPx.seed.toFixed(3)]);
    console.table(rows.map((r) => Object.fromEntries(['photo', 'size', 'ours', 'seed recipe', 'seed÷ours', 'seed÷encode-only (ceiling)', 'picture work CPU ours / seed', 'encode only', 'ours÷encode', 'jitter ours px', 'jitter seed px'].map((k, i) => [k, r[i]]))));

    const results = { date: new Date().toISOString(), runs: RUNS, machine: { cores: cpus().length, model: cpus()[0]?.model, loadBefore, loadAfter: loadavg()[0] }, settings: { width: WIDTH, height: HEIGHT, fps: FPS, seconds: SECONDS, encoder: ENCODE.join(' ') }, clips };
    const outDir = resolve(__dirname, 'results');
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, 'img2vid.json'), JSON.stringify(results, null, 2) + '\n');
    console.log(`\nwritten: ${join(outDir, 'img2vid.json')}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
