/** Live progress over SSE on a real job, and the Prometheus metrics a job leaves behind. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerRegistry } from '../../common/metrics';
import { makeSpeech, makeVideo } from '../helpers/media';
import { startSlowServer, type SlowServer } from '../helpers/slow-server';
import { startStack, waitForJob, type Stack } from '../helpers/stack';

let stack: Stack;
let slow: SlowServer;
let speechUrl: string;

beforeAll(async () => {
  stack = await startStack();
  const inputs = join(stack.dataDir, 'files', 'in');
  mkdirSync(inputs, { recursive: true });
  const video = await makeVideo(join(inputs, 'v.mp4'), { seconds: 3 });
  await makeSpeech(join(inputs, 's.mp3'), 'Progresso ao vivo.');
  speechUrl = `${stack.url}/files/in/s.mp3`;
  slow = await startSlowServer(video, { chunks: 12, intervalMs: 250 });
});
afterAll(async () => {
  await slow?.close();
  await stack?.stop();
});

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

async function readEvents(url: string, onEvent?: (e: SseEvent) => boolean): Promise<SseEvent[]> {
  const res = await fetch(url, { headers: { 'x-api-key': 'test-key-0123456789abcdef' } });
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let idx: number;
    while ((idx = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, idx);
      buffer = buffer.slice(idx + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!event || !data) continue;
      const e = { event, data: JSON.parse(data) as Record<string, unknown> };
      events.push(e);
      if (onEvent && !onEvent(e)) return events;
    }
  }
  return events;
}

describe('GET /jobs/:jobId/events', () => {
  it('streams progress while the job runs and the final status at the end, then closes', async () => {
    const res = await stack.api('/vps/video/addaudio', {
      method: 'POST',
      json: { webhook_url: 'https://hooks.example.com/x', path: 'sse/', url_video: slow.url, url_audio: speechUrl, output_filename: 'o.mp4' },
    });
    const { jobId } = (await res.json()) as { jobId: string };
    const events = await readEvents(`${stack.url}/jobs/${jobId}/events`);
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.map((e) => e.data.status)).toContain('PROCESSING');
    const percents = progress.map((e) => Number(e.data.percent));
    expect(percents).toEqual([...percents].sort((a, b) => a - b)); // never goes backwards
    expect(events.at(-1)!.event).toBe('status');
    expect(events.at(-1)!.data).toMatchObject({ jobId, status: 'COMPLETED' });
  });

  it('stops streaming for a client that leaves', async () => {
    const res = await stack.api('/vps/video/addaudio', {
      method: 'POST',
      json: { webhook_url: 'https://hooks.example.com/x', path: 'sse/', url_video: slow.url, url_audio: speechUrl, output_filename: 'left.mp4' },
    });
    const { jobId } = (await res.json()) as { jobId: string };
    const events = await readEvents(`${stack.url}/jobs/${jobId}/events`, () => false); // leave after the first event
    expect(events).toHaveLength(1);
    // the server is still healthy and the job finishes on its own
    expect((await waitForJob(stack, jobId)).status).toBe('COMPLETED');
  });

  it('answers 404 for an unknown job', async () => {
    expect((await stack.api('/jobs/nope/events')).status).toBe(404);
  });
});

describe('metrics', () => {
  it('exports job counts by status and operation, task queues, and HTTP timings', async () => {
    const text = await (await stack.api('/metrics')).text();
    expect(text).toMatch(/autodark_jobs_started_total\{operation="addaudio",processor="VPS"\} [2-9]/);
    expect(text).toMatch(/autodark_jobs\{status="COMPLETED",operation="addaudio_vps"\} [2-9]/);
    expect(text).toMatch(/autodark_task_queue\{task_queue="autodark-media-cpu",kind="activity_pollers"\} [1-9]/);
    expect(text).toMatch(/autodark_http_request_duration_seconds_count\{method="POST",route="\/vps\/video\/addaudio",status="202"\}/);
  });

  it('accepts the key as a Bearer token (for Prometheus) and refuses without it', async () => {
    expect((await fetch(`${stack.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${stack.url}/metrics`, { headers: { authorization: 'Bearer test-key-0123456789abcdef' } })).status).toBe(200);
  });

  it('records job durations on the worker side', async () => {
    const text = await workerRegistry.metrics();
    expect(text).toMatch(/autodark_job_duration_seconds_count\{operation="addaudio",processor="VPS",outcome="completed"\} [2-9]/);
  });
});
