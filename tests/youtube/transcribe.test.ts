/**
 * POST /vps/video/transcribe_youtube end to end: API → youtubeTranscript workflow → chromium on the
 * browser task queue → a local site reproducing YouTube's watch page and timedtext → stored files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_QUEUES } from '../../common/temporal';
import { startStack, type Stack } from '../helpers/stack';
import { killChromium, waitUntil } from './chromium-processes';
import { startFakeYoutube, type FakeVideo, type FakeYoutube } from './fake-youtube';

const DEADLINE_MS = 6_000;

const videos: FakeVideo[] = [
  {
    id: 'both_tracks',
    title: 'Cooking rice',
    tracks: [
      { lang: 'en', name: 'English', cues: [{ start: 0, dur: 2, text: 'Hello and welcome.' }, { start: 2, dur: 3, text: '[Music] Today we cook rice & beans.' }, { start: 5, dur: 2, text: '[Applause]' }] },
      { lang: 'en', name: 'English (auto-generated)', asr: true, cues: [{ start: 0, dur: 2.5, text: 'hello and welcome' }, { start: 2.5, dur: 3, text: 'today we cook rice' }] },
    ],
  },
  {
    id: 'auto_only_1',
    tracks: [{ lang: 'en', name: 'English (auto-generated)', asr: true, cues: [{ start: 1, dur: 2, text: 'only the machine' }, { start: 3, dur: 2, text: 'wrote these captions' }] }],
  },
  {
    id: 'portuguese1',
    tracks: [
      { lang: 'pt', name: 'Portuguese (auto-generated)', asr: true, translatable: true, cues: [{ start: 0, dur: 2, text: 'ola pessoal' }] },
      { lang: 'pt-BR', name: 'Portuguese (Brazil)', translatable: true, cues: [{ start: 0, dur: 2, text: 'Olá, pessoal!' }] },
    ],
    translationLanguages: [{ code: 'es', name: 'Spanish' }, { code: 'en', name: 'English' }],
  },
  {
    id: 'vtt_only_01',
    tracks: [
      {
        lang: 'en',
        name: 'English (auto-generated)',
        asr: true,
        emptyJson3: true,
        cues: [{ start: 0, dur: 2, text: 'first line here' }, { start: 2, dur: 2, text: 'second line here' }, { start: 4, dur: 2, text: 'third & last' }],
      },
    ],
  },
  { id: 'no_captions', tracks: [] },
  { id: 'private_vid', playability: { status: 'LOGIN_REQUIRED', reason: 'This video is private' } },
  { id: 'removed_vid', playability: { status: 'ERROR', reason: 'This video has been removed by the uploader' } },
  { id: 'hanging_vid', hang: true },
];

let site: FakeYoutube;
let stack: Stack;
beforeAll(async () => {
  site = await startFakeYoutube(videos);
  stack = await startStack(
    { YOUTUBE_BASE_URL: site.url, YOUTUBE_DEADLINE_MS: String(DEADLINE_MS), BROWSER_MAX_PAGES: '2' },
    { taskQueues: [TASK_QUEUES.orchestration, TASK_QUEUES.browser] },
  );
});
afterAll(async () => {
  await stack?.stop();
  await site?.close();
});

type Body = Record<string, unknown> & { segments: { start: number; duration: number; text: string }[]; raw_segments: string[]; files: Record<string, string> };

async function transcribe(body: Record<string, unknown>): Promise<{ status: number; body: Body }> {
  const res = await stack.api('/vps/video/transcribe_youtube', { method: 'POST', json: body });
  return { status: res.status, body: (await res.json()) as Body };
}

async function download(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.text();
}

describe('captions', () => {
  it('prefers the uploaded track, drops [tags], and stores SRT, VTT, text and segments JSON', async () => {
    const url = 'https://www.youtube.com/watch?v=both_tracks';
    const { status, body } = await transcribe({ url });
    expect(status).toBe(200);
    expect(body).toMatchObject({ ok: true, source: url, video_id: 'both_tracks', title: 'Cooking rice', language: 'en', kind: 'manual', format: 'json3', segments_count: 2 });
    expect(body.raw_segments).toEqual(['Hello and welcome.', 'Today we cook rice & beans.']);
    expect(body.transcript_text).toBe('Hello and welcome. Today we cook rice & beans.');
    expect(body.segments).toEqual([
      { start: 0, duration: 2, text: 'Hello and welcome.' },
      { start: 2, duration: 3, text: 'Today we cook rice & beans.' },
    ]);
    expect(typeof body.execution_time_ms).toBe('number');

    expect(body.files.srt).toContain('/youtube/both_tracks/transcript.srt');
    expect(await download(body.files.srt)).toBe('1\n00:00:00,000 --> 00:00:02,000\nHello and welcome.\n\n2\n00:00:02,000 --> 00:00:05,000\nToday we cook rice & beans.\n');
    expect(await download(body.files.vtt)).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello and welcome.\n\n00:00:02.000 --> 00:00:05.000\nToday we cook rice &amp; beans.\n');
    expect(await download(body.files.txt)).toBe('Hello and welcome. Today we cook rice & beans.\n');
    expect(JSON.parse(await download(body.files.json))).toEqual({ video_id: 'both_tracks', language: 'en', kind: 'manual', segments: body.segments });

    // the work ran as a workflow that Temporal (and its Web UI) shows
    const described = await stack.runtime.client.workflow.getHandle(String(body.workflow_id)).describe();
    expect(described).toMatchObject({ type: 'youtubeTranscript', status: { name: 'COMPLETED' } });
  });

  it('takes the auto-generated track when asked, reading json3 word pieces into lines', async () => {
    const { status, body } = await transcribe({ url: 'https://youtu.be/both_tracks', prefer: 'auto' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ kind: 'auto', language: 'en', language_name: 'English (auto-generated)' });
    expect(body.raw_segments).toEqual(['hello and welcome', 'today we cook rice']);
    expect(body.segments[1]).toEqual({ start: 2.5, duration: 3, text: 'today we cook rice' });
  });

  it('falls back to the auto-generated track when there is no uploaded one, and stores under the given path', async () => {
    const { status, body } = await transcribe({ url: 'https://m.youtube.com/watch?v=auto_only_1&t=10s', path: 'canal/video-7' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ kind: 'auto', transcript_text: 'only the machine wrote these captions' });
    expect(body.files.txt).toContain('/canal/video-7/transcript.txt');
    expect(await download(body.files.txt)).toBe('only the machine wrote these captions\n');
  });

  it('reads WebVTT when json3 comes back empty, without the repeated lines of rolling captions', async () => {
    const { status, body } = await transcribe({ url: 'https://www.youtube.com/watch?v=vtt_only_01' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ format: 'vtt', kind: 'auto' });
    expect(body.raw_segments).toEqual(['first line here', 'second line here', 'third & last']);
    expect(body.segments[1].start).toBe(2);
  });
});

describe('languages', () => {
  it('matches the primary language and still prefers the uploaded track (pt → pt-BR)', async () => {
    const { status, body } = await transcribe({ url: 'https://www.youtube.com/watch?v=portuguese1', language: 'pt' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ language: 'pt-BR', kind: 'manual', transcript_text: 'Olá, pessoal!' });
  });

  it('falls back from a regional variant to the language (pt-PT → a pt track)', async () => {
    const { status, body } = await transcribe({ url: 'https://www.youtube.com/watch?v=portuguese1', language: 'pt-PT', prefer: 'auto' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ language: 'pt', kind: 'auto', transcript_text: 'ola pessoal' });
  });

  it("uses YouTube's translation when no track has the language", async () => {
    const { status, body } = await transcribe({ url: 'https://www.youtube.com/watch?v=portuguese1', language: 'es' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ language: 'es', language_name: 'Spanish', translated_from: 'pt-BR', transcript_text: '(es) Olá, pessoal!' });
  });

  it('answers 400 naming the language and the available ones when neither a track nor a translation exists', async () => {
    const { status, body } = await transcribe({ url: 'https://www.youtube.com/watch?v=portuguese1', language: 'de' });
    expect(status).toBe(400);
    expect(body).toMatchObject({ ok: false, reason: 'language_unavailable', available_languages: ['pt', 'pt-BR'] });
    expect(body.error).toMatch(/"de"/);
  });
});

describe('videos without a transcript', () => {
  it('answers 400 when the video has no captions', async () => {
    const url = 'https://www.youtube.com/watch?v=no_captions';
    const { status, body } = await transcribe({ url });
    expect(status).toBe(400);
    expect(body).toMatchObject({ ok: false, source: url, reason: 'no_captions' });
    expect(body.error).toMatch(/^Auto-generated transcript not available for this video/);
  });

  it('answers 403 for a private video', async () => {
    const { status, body } = await transcribe({ url: 'https://www.youtube.com/watch?v=private_vid' });
    expect(status).toBe(403);
    expect(body).toMatchObject({ ok: false, reason: 'private' });
    expect(body.error).toMatch(/private/);
  });

  it('answers 404 for a removed video and for one that never existed', async () => {
    const removed = await transcribe({ url: 'https://www.youtube.com/watch?v=removed_vid' });
    expect(removed.status).toBe(404);
    expect(removed.body).toMatchObject({ ok: false, reason: 'unavailable' });
    expect(removed.body.error).toMatch(/removed by the uploader/);
    const missing = await transcribe({ url: 'https://youtu.be/never_exist' });
    expect(missing.status).toBe(404);
  });
});

describe('bad requests', () => {
  async function started(): Promise<number> {
    return (await stack.runtime.client.workflow.count(`WorkflowType='youtubeTranscript'`)).count;
  }

  it.each([
    ['another site', { url: 'https://vimeo.com/123456' }, 'url'],
    ['a channel page', { url: 'https://www.youtube.com/@somechannel' }, 'url'],
    ['a video id of the wrong length', { url: 'https://www.youtube.com/watch?v=short' }, 'url'],
    ['no url', {}, 'url'],
    ['a language that is not a code', { url: 'https://youtu.be/both_tracks', language: 'english please' }, 'language'],
    ['an unknown preference', { url: 'https://youtu.be/both_tracks', prefer: 'best' }, 'prefer'],
    ['a path escaping the storage root', { url: 'https://youtu.be/both_tracks', path: '../etc' }, 'path'],
  ])('answers 400 naming the field for %s, starting nothing', async (_what, body, field) => {
    const before = await started();
    const res = await stack.api('/vps/video/transcribe_youtube', { method: 'POST', json: body });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: string; message: string; details: { field: string }[] };
    expect(json).toMatchObject({ error: 'Validation error', message: 'Invalid request parameters' });
    expect(json.details.map((d) => d.field)).toContain(field);
    expect(await started()).toBe(before);
  });
});

describe('deadline and failures', () => {
  it('answers 504 at the deadline instead of hanging, and cancels the work (the page is closed)', async () => {
    const { status, body } = await transcribe({ url: 'https://www.youtube.com/watch?v=hanging_vid' });
    expect(status).toBe(504);
    expect(body).toMatchObject({ ok: false, reason: 'timeout' });
    const handle = stack.runtime.client.workflow.getHandle(String(body.workflow_id));
    await waitUntil(() => site.hangingNow === 0, 'the browser to drop the hanging page');
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  });

  it('cancels the work when the client hangs up', async () => {
    const running = async () => (await stack.runtime.client.workflow.count(`WorkflowType='youtubeTranscript' AND ExecutionStatus='Running'`)).count;
    const gone = new AbortController();
    const request = stack.api('/vps/video/transcribe_youtube', { method: 'POST', json: { url: 'https://youtu.be/hanging_vid' }, signal: gone.signal });
    await waitUntil(() => site.hangingNow === 1, 'the watch page to be requested');
    gone.abort();
    await expect(request).rejects.toThrow();
    await waitUntil(() => site.hangingNow === 0, 'the browser to drop the hanging page');
    expect(await running()).toBe(0);
  });

  it('recovers when chromium is killed between requests', async () => {
    expect((await killChromium()).length).toBeGreaterThan(0);
    const { status, body } = await transcribe({ url: 'https://www.youtube.com/watch?v=both_tracks' });
    expect(status).toBe(200);
    expect(body.segments_count).toBe(2);
  });
});
