/**
 * The job lifecycle end to end: HTTP → Temporal workflow → FFmpeg activity → storage → signed webhook,
 * on the addaudio operation, with real media made here. Also idempotency, failure, cancellation,
 * webhook retries and a worker restart in the middle of a job.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffprobe, makeSpeech, makeVideo, videoPacketHashes } from '../helpers/media';
import { startSlowServer, type SlowServer } from '../helpers/slow-server';
import { startStack, waitForJob, type Stack } from '../helpers/stack';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

const SECRET = `whsec_${Buffer.from('autodark-test-webhook-secret-32b').toString('base64')}`;

let stack: Stack;
let hooks: WebhookReceiver;
let slow: SlowServer;
let videoUrl: string;
let speechUrl: string;
let videoPath: string;

beforeAll(async () => {
  stack = await startStack({ WEBHOOK_SECRET: SECRET });
  hooks = await startWebhookReceiver(SECRET);
  // inputs are served by the API's own /files route (local storage), as a user's S3 would serve them
  const inputs = join(stack.dataDir, 'files', 'inputs');
  mkdirSync(inputs, { recursive: true });
  videoPath = await makeVideo(join(inputs, 'clip.mp4'), { seconds: 4, size: '640x360', fps: 25 });
  await makeSpeech(join(inputs, 'narration.mp3'), 'Era uma vez um canal de vídeos automáticos que nunca perdia um trabalho.');
  videoUrl = `${stack.url}/files/inputs/clip.mp4`;
  speechUrl = `${stack.url}/files/inputs/narration.mp3`;
  slow = await startSlowServer(videoPath, { chunks: 60, intervalMs: 250 });
});

afterAll(async () => {
  await slow?.close();
  await hooks?.close();
  await stack?.stop();
});

const addaudio = (over: Record<string, unknown> = {}) => ({
  webhook_url: hooks.url,
  id_roteiro: 125,
  path: 'Canal/Titulo/videos/temp/',
  url_video: videoUrl,
  url_audio: speechUrl,
  output_filename: 'with_audio.mp4',
  ...over,
});

describe('a VPS addaudio job', () => {
  it('runs end to end: 202, COMPLETED, a playable file with the video copied, a signed webhook', async () => {
    const res = await stack.api('/vps/video/addaudio', { method: 'POST', json: addaudio() });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as Record<string, unknown>;
    expect(accepted).toMatchObject({ status: 'QUEUED', operation: 'addaudio_vps', idRoteiro: 125, message: 'Job queued successfully', workersReserved: 1 });
    expect(accepted.statusUrl).toBe(`/jobs/${accepted.jobId}`);
    expect(typeof accepted.estimatedTime).toBe('string');

    const job = await waitForJob(stack, String(accepted.jobId));
    expect(job.status).toBe('COMPLETED');
    const result = job.result as Record<string, unknown>;
    expect(result).toMatchObject({ success: true, message: 'addaudio_vps completed successfully', pathRaiz: 'Canal/Titulo/' });
    expect(typeof result.speed_factor).toBe('number');

    // the output URL downloads, plays, and its video packets are the input's, bit for bit
    const out = join(stack.dataDir, 'downloaded.mp4');
    const bytes = Buffer.from(await (await fetch(String(result.video_url))).arrayBuffer());
    writeFileSync(out, bytes);
    const probe = await ffprobe(out);
    expect(probe.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(await videoPacketHashes(out)).toEqual(await videoPacketHashes(videoPath));

    const hook = await hooks.waitFor((w) => w.body.jobId === accepted.jobId);
    expect(hook.standardSignatureValid).toBe(true);
    expect(hook.legacySignatureValid).toBe(true);
    expect(hook.headers['x-webhook-jobid']).toBe(accepted.jobId);
    expect(hook.headers['x-webhook-status']).toBe('COMPLETED');
    expect(hook.body).toMatchObject({ jobId: accepted.jobId, idRoteiro: 125, pathRaiz: 'Canal/Titulo/', status: 'COMPLETED', operation: 'addaudio', processor: 'VPS' });
    expect((hook.body.result as Record<string, unknown>).video_url).toBe(result.video_url);
    const exec = hook.body.execution as Record<string, unknown>;
    expect(Number.isInteger(exec.durationSeconds)).toBe(true);
    expect(exec).toMatchObject({ worker: 'LocalWorkerService' });
    expect(typeof hook.body.timestamp).toBe('string');

    // delivery is recorded on the job
    const after = (await (await stack.api(`/jobs/${accepted.jobId}`)).json()) as { webhook: { delivered: boolean; attempts: { statusCode: number }[] } };
    expect(after.webhook.delivered).toBe(true);
    expect(after.webhook.attempts.map((a) => a.statusCode)).toEqual([200]);

    // and the job is visible through Temporal visibility
    const list = (await (await stack.api(`/jobs?operation=addaudio_vps&idRoteiro=125&status=COMPLETED`)).json()) as { jobs: { jobId: string }[] };
    expect(list.jobs.map((j) => j.jobId)).toContain(accepted.jobId);
  });

  it('returns the existing job for a repeated Idempotency-Key', async () => {
    const headers = { 'idempotency-key': `order-${Date.now()}` };
    const first = (await (await stack.api('/vps/video/addaudio', { method: 'POST', json: addaudio(), headers })).json()) as { jobId: string };
    const second = await stack.api('/vps/video/addaudio', { method: 'POST', json: addaudio(), headers });
    expect(second.status).toBe(202);
    const body = (await second.json()) as { jobId: string; message: string };
    expect(body.jobId).toBe(first.jobId);
    expect(body.message).toMatch(/already exists/);
    const { count } = await stack.runtime.client.workflow.count(`WorkflowId='${first.jobId}'`);
    expect(count).toBe(1);
    await waitForJob(stack, first.jobId);
  });

  it('fails with a message naming the input when a download 404s, and says so in the webhook', async () => {
    const res = await stack.api('/vps/video/addaudio', { method: 'POST', json: addaudio({ url_audio: `${stack.url}/files/inputs/missing.mp3` }) });
    const { jobId } = (await res.json()) as { jobId: string };
    const job = await waitForJob(stack, jobId);
    expect(job.status).toBe('FAILED');
    expect(String(job.error)).toMatch(/url_audio/);
    expect(String(job.error)).toMatch(/404/);
    const hook = await hooks.waitFor((w) => w.body.jobId === jobId);
    expect(hook.body).toMatchObject({ status: 'FAILED', processor: 'VPS', error: { code: 'VPS_PROCESSING_ERROR', operation: 'addaudio_vps' } });
    expect(hook.standardSignatureValid).toBe(true);
  });

  it('cancels a running job: work stops, temp files go, a CANCELLED webhook is sent', async () => {
    const res = await stack.api('/vps/video/addaudio', { method: 'POST', json: addaudio({ url_video: slow.url }) });
    const { jobId } = (await res.json()) as { jobId: string };
    await waitForJob(stack, jobId, ['PROCESSING'], 30_000);
    const cancel = await stack.api(`/jobs/${jobId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    expect(await cancel.json()).toEqual({ message: 'Job cancelled successfully', jobId });
    const job = await waitForJob(stack, jobId, ['CANCELLED', 'COMPLETED', 'FAILED'], 30_000);
    expect(job.status).toBe('CANCELLED');
    const hook = await hooks.waitFor((w) => w.body.jobId === jobId);
    expect(hook.body.status).toBe('CANCELLED');
    const tempRoot = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    expect(readdirSync(tempRoot).filter((f) => f.includes(jobId))).toEqual([]);
    const again = await stack.api(`/jobs/${jobId}/cancel`, { method: 'POST' });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: 'Bad request', message: 'Cannot cancel job with status CANCELLED' });
  });

  it('retries a webhook while the receiver is down and delivers it once when it is back', async () => {
    hooks.respondWith(503);
    const res = await stack.api('/vps/video/addaudio', { method: 'POST', json: addaudio() });
    const { jobId } = (await res.json()) as { jobId: string };
    await waitForJob(stack, jobId);
    // wait until at least two attempts failed, then bring the receiver back
    const deadline = Date.now() + 30_000;
    for (;;) {
      const j = (await (await stack.api(`/jobs/${jobId}`)).json()) as { webhook?: { attempts: unknown[] } };
      if ((j.webhook?.attempts.length ?? 0) >= 2 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    hooks.respondWith(200);
    await hooks.waitFor((w) => w.body.jobId === jobId, 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(hooks.received.filter((w) => w.body.jobId === jobId)).toHaveLength(1);
    const j = (await (await stack.api(`/jobs/${jobId}`)).json()) as { webhook: { delivered: boolean; attempts: { statusCode: number }[] } };
    expect(j.webhook.delivered).toBe(true);
    const codes = j.webhook.attempts.map((a) => a.statusCode);
    expect(codes.slice(0, -1).every((c) => c === 503)).toBe(true);
    expect(codes.at(-1)).toBe(200);
  });

  it('completes a job whose worker is restarted in the middle of it', async () => {
    const res = await stack.api('/vps/video/addaudio', { method: 'POST', json: addaudio({ url_video: slow.url, output_filename: 'restarted.mp4' }) });
    const { jobId } = (await res.json()) as { jobId: string };
    await waitForJob(stack, jobId, ['PROCESSING'], 30_000);
    await stack.stopWorkers();
    await stack.startWorkers();
    const job = await waitForJob(stack, jobId, ['COMPLETED', 'FAILED', 'CANCELLED'], 120_000);
    expect(job.status).toBe('COMPLETED');
    expect(slow.requests).toBeGreaterThanOrEqual(2); // the download really started over on the new worker
  });

  it('counts jobs by status and operation in /queue/stats', async () => {
    const stats = (await (await stack.api('/queue/stats')).json()) as Record<string, unknown>;
    expect(stats.completed).toBeGreaterThanOrEqual(2);
    expect(stats.cancelled).toBeGreaterThanOrEqual(1);
    expect((stats.byOperation as Record<string, number>).addaudio_vps).toBeGreaterThanOrEqual(4);
    expect(stats.totalJobs).toBe(Number(stats.queued) + Number(stats.processing) + Number(stats.completed) + Number(stats.failed) + Number(stats.cancelled));
  });
});
