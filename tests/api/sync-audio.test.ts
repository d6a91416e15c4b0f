/**
 * The synchronous /vps/audio/* routes over HTTP: the answer carries the result; a job that outlives
 * the deadline, or whose client hangs up, is cancelled rather than left running.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobService } from '../../api/jobs/service';
import { ffmpeg } from '../helpers/media';
import { startSlowServer, type SlowServer } from '../helpers/slow-server';
import { startStack, waitForJob, type Stack } from '../helpers/stack';

let stack: Stack;
let slow: SlowServer;
const url = (file: string) => `${stack.url}/files/inputs/${file}`;

beforeAll(async () => {
  stack = await startStack({ AUDIO_SYNC_DEADLINE_MS: '3000' });
  const inputs = join(stack.dataDir, 'files', 'inputs');
  mkdirSync(inputs, { recursive: true });
  for (const [file, freq, seconds] of [['a.mp3', 300, 2], ['b.mp3', 900, 1.5]] as const) {
    await ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=${freq}:sample_rate=44100:duration=${seconds}`, '-c:a', 'libmp3lame', '-b:a', '128k', join(inputs, file)]);
  }
  // 30 s to serve: longer than the deadline
  slow = await startSlowServer(join(inputs, 'b.mp3'), { chunks: 60, intervalMs: 500 });
});

afterAll(async () => {
  await slow?.close();
  await stack?.stop();
});

describe('POST /vps/audio/concatenate', () => {
  it('answers with the joined file once the job is done', async () => {
    const res = await stack.api('/vps/audio/concatenate', { method: 'POST', json: { audio_urls: [{ audio_url: url('a.mp3') }, { audio_url: url('b.mp3') }], path: 'voz/' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ success: true, audio_count: 2, s3_key: 'voz/audio_concatenated.mp3' });
    expect(Math.abs(Number(body.total_duration) - 3.5)).toBeLessThan(0.15); // MP3 frames and encoder padding
    expect(typeof body.processing_time_ms).toBe('number');
    const file = await fetch(String(body.audio_url));
    expect(file.status).toBe(200);
    expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
  });

  it('past the deadline answers 504 naming the job, and the job is cancelled', async () => {
    const started = Date.now();
    const res = await stack.api('/vps/audio/concatenate', { method: 'POST', json: { audio_urls: [{ audio_url: url('a.mp3') }, { audio_url: slow.url }], path: 'late/' } });
    expect(res.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(15_000);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ success: false, error: 'concatenate timed out' });
    expect(String(body.message)).toContain('3000 ms');
    expect((await waitForJob(stack, String(body.jobId))).status).toBe('CANCELLED');
  });

  it('a client that hangs up leaves no job running', async () => {
    const before = slow.requests;
    const key = `hangup-${Date.now()}`;
    const abort = new AbortController();
    const request = stack.api('/vps/audio/concatenate', { method: 'POST', signal: abort.signal, headers: { 'idempotency-key': key }, json: { audio_urls: [{ audio_url: url('a.mp3') }, { audio_url: slow.url }], path: 'gone/' } });
    await expect.poll(() => slow.requests, { timeout: 10_000 }).toBeGreaterThan(before); // the job is fetching
    abort.abort();
    await expect(request).rejects.toThrow();
    // the job id derives from the idempotency key, as for a client that comes back
    const id = JobService.jobIdFor(key);
    expect((await waitForJob(stack, String(id))).status).toBe('CANCELLED');
  });
});
