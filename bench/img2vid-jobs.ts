/**
 * 50 images as one img2vid job vs 50 one-image jobs in sequence, side by side in one run, at two levels:
 *   1. end to end, as a user sees it: POST /vps/video/img2vid to the real API, job run by the real
 *      worker on a real Temporal dev server, photos fetched over HTTP from the API's /files, clips
 *      stored, signed webhook received. The one-image jobs go one after another, each submitted when
 *      the previous one's webhook arrived (an n8n loop with a Wait-for-webhook node).
 *   2. the media work alone: the same plans through the local executor, with no API, Temporal or HTTP.
 * It also measures what this machine's cores give an encode (see coreScaling): on a shared VM two
 * "cores" are often worth less than two.
 * Usage: npx tsx bench/img2vid-jobs.ts   → bench/results/img2vid-jobs.json
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { img2vidRequest } from '../api/schemas/media';
import { LocalStorage } from '../common/storage';
import type { LocalRunContext } from '../media/context';
import { createLocalPrepareEnv, executePlan } from '../media/executor';
import { img2vid } from '../media/operations/img2vid';
import { makePhotos } from './photos';
import { startBenchStack } from './stack';

const run = promisify(execFile);
const IMAGES = Number(process.env.BENCH_IMAGES ?? 50);
const SECONDS = 2;
const ZOOM_TYPES = ['zoomin', 'zoomout', 'zoompanright', 'zoompanleft', 'panup', 'pandown'];

type Image = { id: string; image_url: string; duracao: number };

const seconds = (t0: number) => (performance.now() - t0) / 1000;
const r2 = (n: number) => Math.round(n * 100) / 100;

/** The API, a worker and a webhook receiver on a fresh Temporal dev server; photos served by /files. */
async function startStackWithReceiver(dir: string, photos: string[]) {
  const stack = await startBenchStack(dir);
  const { base, config } = stack;

  const served = join(config.DATA_DIR, 'files', 'photos');
  await mkdir(served, { recursive: true });
  for (const photo of photos) await copyFile(photo, join(served, basename(photo)));

  const waiting = new Map<string, (body: Record<string, unknown>) => void>();
  const arrived = new Map<string, Record<string, unknown>>();
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      res.writeHead(200).end();
      const id = String(body.jobId);
      const resolveJob = waiting.get(id);
      if (resolveJob) resolveJob(body);
      else arrived.set(id, body);
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;

  /** submits one img2vid job and resolves with its webhook body */
  async function job(images: Image[], path: string): Promise<Record<string, unknown>> {
    const res = await fetch(`${base}/vps/video/img2vid`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey },
      body: JSON.stringify({ webhook_url: hookUrl, path, images, zoom_types: ZOOM_TYPES }),
    });
    if (res.status !== 202) throw new Error(`submission answered ${res.status}: ${await res.text()}`);
    const { jobId } = (await res.json()) as { jobId: string };
    const body = arrived.get(jobId) ?? (await new Promise<Record<string, unknown>>((r) => waiting.set(jobId, r)));
    if (body.status !== 'COMPLETED') throw new Error(`job ${jobId} ended ${String(body.status)}: ${JSON.stringify(body.error)}`);
    return body;
  }

  return {
    photoUrl: (photo: string, n: number) => `${base}/files/photos/${basename(photo)}?n=${n}`,
    job,
    async stop() {
      receiver.close();
      await stack.stop();
    },
  };
}

/** A LocalRunContext whose downloads are local copies: the media work alone. */
async function executorJob(work: string, photos: Map<string, string>, name: string, images: Image[]): Promise<void> {
  const workDir = await mkdtemp(join(work, `${name}-`));
  const ctx: LocalRunContext = {
    jobId: name,
    workDir,
    signal: new AbortController().signal,
    progress: () => undefined,
    storage: new LocalStorage(join(work, 'data'), 'http://127.0.0.1:9', 'bench'),
    download: (url, _label, dest) => copyFile(photos.get(basename(new URL(url).pathname))!, dest),
  };
  const request = img2vidRequest.parse({ webhook_url: 'https://example.com/hook', path: `bench/${name}/`, images, zoom_types: ZOOM_TYPES });
  const env = createLocalPrepareEnv(ctx);
  const prepared = await img2vid.prepare(request, env);
  await executePlan(prepared.plan, ctx, env.localInputs);
  await rm(workDir, { recursive: true, force: true });
}

/**
 * What this machine's cores give a 1080p libx264 encode (medians of 3 turns): two single-thread encodes
 * side by side vs one (2.0 = two full cores), and one encode with x264's own threads vs single-thread.
 * A one-image job is a short encode plus single-threaded set-up (download, decode, prescale), so it
 * gets less than the second figure; a batch can get close to the first.
 */
async function coreScaling(): Promise<{ twoSingleThreadEncodes: number; oneThreadedEncode: number }> {
  const encode = (threads: string) =>
    run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=24:duration=4', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-threads', threads, '-f', 'null', '-']);
  const time = async (work: () => Promise<unknown>) => {
    const t0 = performance.now();
    await work();
    return seconds(t0);
  };
  const pair: number[] = [];
  const threaded: number[] = [];
  for (let i = 0; i < 3; i++) {
    const alone = await time(() => encode('1'));
    pair.push((2 * alone) / (await time(() => Promise.all([encode('1'), encode('1')]))));
    threaded.push(alone / (await time(() => encode('0'))));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
  return { twoSingleThreadEncodes: median(pair), oneThreadedEncode: median(threaded) };
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'autodark-bench-jobs-'));
  const loadBefore = loadavg()[0];
  try {
    const photos = await makePhotos(dir);
    const byName = new Map(photos.map((p) => [basename(p), p]));
    const stack = await startStackWithReceiver(dir, photos);
    const images = (url: (photo: string, n: number) => string): Image[] =>
      Array.from({ length: IMAGES }, (_, i) => ({ id: `img${i + 1}`, image_url: url(photos[i % photos.length], i), duracao: SECONDS }));

    // 1. end to end (one warm-up job first, so neither side pays for the first workflow task)
    const e2eImages = images(stack.photoUrl);
    await stack.job(e2eImages.slice(0, 1), 'bench/warmup/');
    console.log(`end to end: one ${IMAGES}-image job…`);
    let t0 = performance.now();
    const batch = await stack.job(e2eImages, 'bench/batch/');
    const e2eBatch = seconds(t0);
    if ((batch.result as { videos: unknown[] }).videos.length !== IMAGES) throw new Error('the batch job did not return every clip');
    console.log(`  ${e2eBatch.toFixed(1)} s; ${IMAGES} one-image jobs in sequence…`);
    t0 = performance.now();
    for (const [i, image] of e2eImages.entries()) await stack.job([image], `bench/single-${i}/`);
    const e2eSingles = seconds(t0);
    console.log(`  ${e2eSingles.toFixed(1)} s`);
    await stack.stop();

    // 2. the media work alone
    const work = join(dir, 'work');
    await mkdir(work);
    const fileUrl = (photo: string, n: number) => `http://bench.invalid/${basename(photo)}?n=${n}`;
    const mediaImages = images(fileUrl);
    console.log('media work alone (local executor)…');
    t0 = performance.now();
    await executorJob(work, byName, 'batch', mediaImages);
    const mediaBatch = seconds(t0);
    t0 = performance.now();
    for (const [i, image] of mediaImages.entries()) await executorJob(work, byName, `single-${i}`, [image]);
    const mediaSingles = seconds(t0);

    const scaling = await coreScaling();
    const results = {
      date: new Date().toISOString(),
      machine: { cores: cpus().length, model: cpus()[0]?.model, loadBefore, loadAfter: loadavg()[0], throughputVsOneCore: { twoSingleThreadEncodes: r2(scaling.twoSingleThreadEncodes), oneThreadedEncode: r2(scaling.oneThreadedEncode) } },
      images: IMAGES,
      secondsEach: SECONDS,
      clipsAtOnce: Math.min(16, availableParallelism()),
      endToEnd: { oneJob: r2(e2eBatch), singleJobsInSequence: r2(e2eSingles), speedup: r2(e2eSingles / e2eBatch), perSingleJobOverhead: r2((e2eSingles - mediaSingles) / IMAGES) },
      mediaWorkOnly: { oneJob: r2(mediaBatch), singleJobsInSequence: r2(mediaSingles), speedup: r2(mediaSingles / mediaBatch) },
    };
    console.table({
      'end to end (API + Temporal + HTTP + webhook)': { 'one job (s)': results.endToEnd.oneJob, [`${IMAGES} jobs in sequence (s)`]: results.endToEnd.singleJobsInSequence, speedup: `${results.endToEnd.speedup}×` },
      'media work only (local executor)': { 'one job (s)': results.mediaWorkOnly.oneJob, [`${IMAGES} jobs in sequence (s)`]: results.mediaWorkOnly.singleJobsInSequence, speedup: `${results.mediaWorkOnly.speedup}×` },
    });
    console.log(`throughput vs one core (4 s 1080p encodes): two single-thread encodes side by side ${scaling.twoSingleThreadEncodes.toFixed(2)}×, one encode with x264's own threads ${scaling.oneThreadedEncode.toFixed(2)}×; load ${loadBefore.toFixed(2)} → ${loadavg()[0].toFixed(2)}`);
    const out = resolve(__dirname, 'results', 'img2vid-jobs.json');
    await mkdir(resolve(__dirname, 'results'), { recursive: true });
    await writeFile(out, JSON.stringify(results, null, 2) + '\n');
    console.log(`written: ${out}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
