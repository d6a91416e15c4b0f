/**
 * The GPU path end to end, with no RunPod account: API → Temporal → runpod-sdk → our RunPod-compatible
 * local endpoint → real gpu-worker processes under the real runpod Python SDK → storage → webhook.
 * A small proxy in front of the endpoint counts submissions and can answer /status with 5xx.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalEndpoint, type LocalEndpoint } from '../../runpod-local/server';
import { ffmpeg, ffprobe, makeSpeech, makeVideo, videoPacketHashes } from '../helpers/media';
import { startStack, waitForJob, type Stack } from '../helpers/stack';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

const REPO = resolve(__dirname, '../..');
const KEY = 'gpu-endpoint-test-key-0123456789';

let endpoint: LocalEndpoint;
let proxy: Server;
let proxyUrl: string;
const seen = { runs: 0, statusFailuresLeft: 0, status5xxSent: 0 };
let stack: Stack;
let hooks: WebhookReceiver;
let modelDir: string;
let inputs: string;
let base: string;

/** Forwards to the endpoint; counts POST /run and can fail GET /status with 503. */
function startProxy(target: string): Promise<string> {
  proxy = createServer((req, res) => {
    if (req.method === 'POST' && /\/run$/.test(req.url ?? '')) seen.runs++;
    if (req.method === 'GET' && /\/status\//.test(req.url ?? '') && seen.statusFailuresLeft > 0) {
      seen.statusFailuresLeft--;
      seen.status5xxSent++;
      res.writeHead(503).end('{"error":"upstream busy"}');
      return;
    }
    const url = new URL(req.url ?? '/', target);
    const fwd = httpRequest(url, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    req.pipe(fwd);
  });
  return new Promise((r) => proxy.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(proxy.address() as { port: number }).port}`)));
}

beforeAll(async () => {
  modelDir = mkdtempSync(join(tmpdir(), 'autodark-models-'));
  execFileSync(resolve(REPO, '.venv/bin/python'), [resolve(REPO, 'gpu-worker/tools/make_tiny_model.py'), join(modelDir, 'faster-whisper', 'tiny-random')], { stdio: 'ignore' });
  endpoint = await startLocalEndpoint({
    apiKey: KEY,
    port: 0,
    maxWorkers: 3,
    idleTimeoutMs: 15_000,
    endpoints: [{ id: 'autodark-gpu', command: [resolve(REPO, '.venv/bin/python'), '-u', 'gpu-worker/handler.py'], env: { MODEL_DIR: modelDir } }],
    logger: (await import('../../common/logger')).createLogger('runpod-local', 'silent'),
  });
  proxyUrl = await startProxy(endpoint.url);
  stack = await startStack({ RUNPOD_API_KEY: KEY, RUNPOD_BASE_URL: `${proxyUrl}/v2`, MAX_WORKERS: '3' });
  hooks = await startWebhookReceiver();
  inputs = join(stack.dataDir, 'files', 'in');
  mkdirSync(inputs, { recursive: true });
  base = `${stack.url}/files/in`;
  await makeVideo(join(inputs, 'clip.mp4'), { seconds: 3 });
  await makeSpeech(join(inputs, 'speech.mp3'), 'Um teste da transcrição na GPU.');
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=480x320:duration=1', '-frames:v', '1', join(inputs, 'photo.png')]);
}, 240_000);

afterAll(async () => {
  await hooks?.close();
  await stack?.stop();
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  await endpoint?.close();
  if (modelDir) rmSync(modelDir, { recursive: true, force: true });
});

/** Serves a file once, then answers 404. */
async function serveOnce(file: string): Promise<{ url: string; server: Server }> {
  let served = false;
  const server = createServer((_req, res) => {
    if (served) return void res.writeHead(404).end('gone');
    served = true;
    res.writeHead(200, { 'content-type': 'audio/mpeg' }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/once.mp3`, server };
}

const stats = () => endpoint.stats().find((s) => s.endpointId === 'autodark-gpu')!;

describe('GPU path through the local RunPod-compatible endpoint', () => {
  it('runs addaudio on a GPU worker: one submission, video copied, webhook says processor GPU', async () => {
    const before = seen.runs;
    const res = await stack.api('/runpod/video/addaudio', {
      method: 'POST',
      json: { webhook_url: hooks.url, path: 'gpu/a/', url_video: `${base}/clip.mp4`, url_audio: `${base}/speech.mp3`, output_filename: 'out.mp4' },
    });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const job = await waitForJob(stack, jobId, undefined, 180_000);
    expect(job.status).toBe('COMPLETED');
    expect(seen.runs - before).toBe(1);
    const result = job.result as { video_url: string; execution: unknown };
    expect(result.execution).toBeDefined();
    const out = join(stack.dataDir, 'gpu-out.mp4');
    writeFileSync(out, Buffer.from(await (await fetch(result.video_url)).arrayBuffer()));
    expect((await ffprobe(out)).streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(await videoPacketHashes(out)).toEqual(await videoPacketHashes(join(inputs, 'clip.mp4')));
    const hook = await hooks.waitFor((w) => w.body.jobId === jobId);
    expect(hook.body).toMatchObject({ status: 'COMPLETED', processor: 'GPU', operation: 'addaudio' });
  });

  it('fans a 70-image img2vid out to exactly 3 RunPod jobs and merges the clips in image order', async () => {
    const before = seen.runs;
    const images = Array.from({ length: 70 }, (_, i) => ({ id: `img-${String(i).padStart(2, '0')}`, image_url: `${base}/photo.png`, duracao: 0.5 }));
    const res = await stack.api('/runpod/video/img2vid', {
      method: 'POST',
      json: { webhook_url: hooks.url, path: 'gpu/img/videos/', images, zoom_types: ['zoomin', 'zoomout', 'zoompanright'], resolution: '320x180', fps: 12 },
    });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { jobId: string; workersReserved: number };
    expect(accepted.workersReserved).toBe(3);
    const job = await waitForJob(stack, accepted.jobId, undefined, 300_000);
    expect(job.status, JSON.stringify(job.error)).toBe('COMPLETED');
    expect(seen.runs - before).toBe(3);
    const result = job.result as { code: number; videos: { id: string; video_url: string; zoom_type: string }[] };
    expect(result.code).toBe(200);
    expect(result.videos.map((v) => v.id)).toEqual(images.map((i) => i.id));
    const last = join(stack.dataDir, 'last.mp4');
    writeFileSync(last, Buffer.from(await (await fetch(result.videos[69].video_url)).arrayBuffer()));
    const probe = await ffprobe(last);
    expect(probe.streams.map((s) => s.codec_type)).toEqual(['video']);
    expect(Number(probe.format.duration)).toBeCloseTo(0.5, 1);
    const hook = await hooks.waitFor((w) => w.body.jobId === accepted.jobId);
    expect(hook.body).toMatchObject({ status: 'COMPLETED', processor: 'GPU', operation: 'img2vid', pathRaiz: 'gpu/img/' });
  });

  it('keeps polling through 5xx answers from /status', async () => {
    seen.statusFailuresLeft = 3;
    const res = await stack.api('/runpod/video/addaudio', {
      method: 'POST',
      json: { webhook_url: hooks.url, path: 'gpu/b/', url_video: `${base}/clip.mp4`, url_audio: `${base}/speech.mp3`, output_filename: 'out.mp4' },
    });
    const { jobId } = (await res.json()) as { jobId: string };
    expect((await waitForJob(stack, jobId, undefined, 180_000)).status).toBe('COMPLETED');
    expect(seen.status5xxSent).toBe(3);
  });

  it('fails with the worker\'s message when the GPU job fails, without resubmitting it', async () => {
    // the audio is there when the orchestrator probes it, and gone when the GPU worker fetches it
    const vanishing = await serveOnce(join(inputs, 'speech.mp3'));
    const before = seen.runs;
    const res = await stack.api('/runpod/video/addaudio', {
      method: 'POST',
      json: { webhook_url: hooks.url, path: 'gpu/c/', url_video: `${base}/clip.mp4`, url_audio: vanishing.url, output_filename: 'out.mp4' },
    });
    const { jobId } = (await res.json()) as { jobId: string };
    const job = await waitForJob(stack, jobId, undefined, 180_000);
    vanishing.server.close();
    expect(job.status).toBe('FAILED');
    expect(String(job.error)).toMatch(/url_audio/);
    expect(String(job.error)).toMatch(/404/);
    expect(seen.runs - before).toBe(1);
    const hook = await hooks.waitFor((w) => w.body.jobId === jobId);
    expect(hook.body).toMatchObject({ status: 'FAILED', processor: 'GPU', error: { code: 'PROCESSING_ERROR' } });
    expect(hook.body.pathRaiz).toBeUndefined();
  });

  it('cancels the RunPod job and frees its worker when the job is cancelled', async () => {
    // a long clip keeps the GPU worker busy long enough to cancel it mid-run
    await makeVideo(join(inputs, 'long.mp4'), { seconds: 120, size: '1280x720' });
    writeFileSync(join(inputs, 'cues.srt'), '1\n00:00:00,000 --> 00:01:59,000\nLegenda longa\n');
    const res = await stack.api('/runpod/video/caption_style', {
      method: 'POST',
      json: { webhook_url: hooks.url, path: 'gpu/d/', url_video: `${base}/long.mp4`, url_caption: `${base}/cues.srt`, output_filename: 'out.mp4', type: 'segments' },
    });
    const { jobId } = (await res.json()) as { jobId: string };
    await waitForJob(stack, jobId, ['PROCESSING'], 120_000);
    const cancelledBefore = stats().counters.cancelled;
    expect((await stack.api(`/jobs/${jobId}/cancel`, { method: 'POST' })).status).toBe(200);
    expect((await waitForJob(stack, jobId, ['CANCELLED', 'COMPLETED', 'FAILED'], 60_000)).status).toBe('CANCELLED');
    const deadline = Date.now() + 30_000;
    while (stats().counters.cancelled === cancelledBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(stats().counters.cancelled).toBe(cancelledBefore + 1);
    while (stats().workers.some((w) => w.state === 'running') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(stats().workers.filter((w) => w.state === 'running')).toEqual([]);
  });

  it('survives a restart of the Temporal worker while it polls: the job completes, submitted once', async () => {
    const before = seen.runs;
    const res = await stack.api('/runpod/video/addaudio', {
      method: 'POST',
      json: { webhook_url: hooks.url, path: 'gpu/e/', url_video: `${base}/long.mp4`, url_audio: `${base}/speech.mp3`, output_filename: 'out.mp4', length_mode: 'cut_to_audio' },
    });
    const { jobId } = (await res.json()) as { jobId: string };
    await waitForJob(stack, jobId, ['PROCESSING', 'COMPLETED'], 120_000);
    await stack.stopWorkers();
    await new Promise((r) => setTimeout(r, 1000));
    await stack.startWorkers();
    expect((await waitForJob(stack, jobId, undefined, 180_000)).status).toBe('COMPLETED');
    expect(seen.runs - before).toBe(1);
  });

  it('burns highlight captions of a two-hour words file (a plan over Temporal\'s 2 MB payload limit, sent gzipped)', async () => {
    // 2 h of speech at 2.5 words/s; the video is short, libass simply has nothing to show after it
    const words = Array.from({ length: 18_000 }, (_, i) => ({ word: `palavra${i % 97}`, start: i * 0.4, end: i * 0.4 + 0.35 }));
    writeFileSync(join(inputs, 'long-words.json'), JSON.stringify({ words }));
    const res = await stack.api('/runpod/video/caption_style', {
      method: 'POST',
      json: { webhook_url: hooks.url, path: 'gpu/long/', output_filename: 'long.mp4', url_video: `${base}/clip.mp4`, url_caption: `${base}/long-words.json`, type: 'highlight', style: { words_per_line: 4 } },
    });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const job = await waitForJob(stack, jobId, undefined, 180_000);
    expect(job.status).toBe('COMPLETED');
    // the plan in the history: its ASS file travelled gzipped, far under the limit
    const history = await stack.runtime.client.workflow.getHandle(jobId).fetchHistory();
    const sizes = (history.events ?? []).flatMap((e) => [...(e.activityTaskCompletedEventAttributes?.result?.payloads ?? []), ...(e.activityTaskScheduledEventAttributes?.input?.payloads ?? [])]).map((p) => p.data?.length ?? 0);
    expect(Math.max(...sizes)).toBeLessThan(512 * 1024);
    const prepared = history.events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'submitGpuJob')!;
    const submitted = JSON.parse(Buffer.from(prepared.activityTaskScheduledEventAttributes!.input!.payloads![0].data!).toString('utf8')) as { payload: { plan: { files: { name: string; encoding?: string }[] } } };
    expect(submitted.payload.plan.files).toEqual([expect.objectContaining({ name: 'captions.ass', encoding: 'gzip-base64' })]);
    const out = join(stack.dataDir, 'gpu-long.mp4');
    writeFileSync(out, Buffer.from(await (await fetch((job.result as { video_url: string }).video_url)).arrayBuffer()));
    expect((await ffprobe(out)).streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
  });

  it('transcribes with faster-whisper on the worker and renders every file in TypeScript', async () => {
    const res = await stack.api('/runpod/audio/transcribe', { method: 'POST', json: { audio_url: `${base}/speech.mp3`, path: 'gpu/t/', model: 'tiny-random', language: 'pt' } });
    const body = (await res.json()) as {
      code: number;
      audio: { duration: number };
      stats: { model: string };
      files: { segments: { srt: string; json: string } };
      processing_time: unknown;
    };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ code: 200, message: 'Transcription completed successfully', language: 'pt' });
    expect(body.audio.duration).toBeGreaterThan(1);
    expect(body.stats.model).toBe('tiny-random');
    const srt = await (await fetch(body.files.segments.srt)).text();
    expect(srt === '' || /^1\n\d\d:\d\d:\d\d,\d{3} --> /.test(srt)).toBe(true);
    const segments = (await (await fetch(body.files.segments.json)).json()) as { segments: { start: number; end: number }[] };
    for (const s of segments.segments) expect(s.end).toBeGreaterThanOrEqual(s.start);
    expect(typeof body.processing_time).toBe('string');
  });
});
