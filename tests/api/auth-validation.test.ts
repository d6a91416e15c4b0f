/**
 * The API's front door: key checks, and bad input answered with 4xx naming the field, with no workflow
 * started (counted through Temporal visibility).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
beforeAll(async () => {
  // no workers: a 400 must not depend on anyone picking work up
  stack = await startStack({}, { workers: false });
});
afterAll(() => stack?.stop());

const hook = 'https://hooks.example.com/done';
const video = 'https://media.example.com/v.mp4';

async function workflowCount(): Promise<number> {
  return (await stack.runtime.client.workflow.count(`WorkflowType='mediaJob'`)).count;
}

describe('authentication', () => {
  it.each(['/jobs/abc', '/queue/stats', '/admin/workers/status', '/vps/video/addaudio', '/runpod/video/img2vid', '/no/such/route'])('answers 401 without a key on %s', async (path) => {
    const res = await fetch(`${stack.url}${path}`, { method: path.startsWith('/vps') || path.startsWith('/runpod') ? 'POST' : 'GET' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Unauthorized', message: 'Invalid or missing API key' });
  });

  it('answers 401 with a wrong key of the same length', async () => {
    const res = await fetch(`${stack.url}/queue/stats`, { headers: { 'x-api-key': 'test-key-0123456789abcdeX' } });
    expect(res.status).toBe(401);
  });

  it('keeps /vps/audio/* behind the key (the seed left it open)', async () => {
    const res = await fetch(`${stack.url}/vps/audio/concatenate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
  });

  it.each(['/', '/health', '/vps/audio/health', '/runpod/audio/transcribe/health', '/docs/json'])('serves %s without a key', async (path) => {
    const res = await fetch(`${stack.url}${path}`);
    expect(res.status).not.toBe(401);
  });
});

describe('validation', () => {
  const cases: [string, string, unknown, string][] = [
    ['/vps/video/img2vid', 'missing images', { webhook_url: hook, path: 'p/' }, 'images'],
    ['/runpod/video/img2vid', 'duracao out of range', { webhook_url: hook, path: 'p/', images: [{ id: 'a', image_url: 'https://x.example/a.jpg', duracao: 0 }] }, 'images.0.duracao'],
    ['/runpod/video/img2vid', 'unknown zoom type', { webhook_url: hook, path: 'p/', images: [{ id: 'a', image_url: 'https://x.example/a.jpg', duracao: 2 }], zoom_types: ['spin'] }, 'zoom_types.0'],
    ['/vps/video/addaudio', 'url_audio not http', { webhook_url: hook, path: 'p/', url_video: video, url_audio: 'ftp://x/a.mp3', output_filename: 'o.mp4' }, 'url_audio'],
    ['/vps/video/addaudio', 'path traversal', { webhook_url: hook, path: '../../etc/', url_video: video, url_audio: video, output_filename: 'o.mp4' }, 'path'],
    ['/vps/video/addaudio', 'absolute path', { webhook_url: hook, path: '/etc/', url_video: video, url_audio: video, output_filename: 'o.mp4' }, 'path'],
    ['/vps/video/addaudio', 'output_filename with a slash', { webhook_url: hook, path: 'p/', url_video: video, url_audio: video, output_filename: '../o.mp4' }, 'output_filename'],
    ['/vps/video/addaudio', 'control characters in output_filename', { webhook_url: hook, path: 'p/', url_video: video, url_audio: video, output_filename: 'o\u0000.mp4' }, 'output_filename'],
    ['/vps/video/addaudio', 'webhook to a loopback address', { webhook_url: 'http://127.0.0.2:9/x', path: 'p/', url_video: video, url_audio: video, output_filename: 'o.mp4' }, 'webhook_url'],
    ['/vps/video/addaudio', 'webhook to metadata address', { webhook_url: 'http://169.254.169.254/x', path: 'p/', url_video: video, url_audio: video, output_filename: 'o.mp4' }, 'webhook_url'],
    ['/vps/video/addaudio', 'webhook to a private address', { webhook_url: 'http://10.1.2.3/x', path: 'p/', url_video: video, url_audio: video, output_filename: 'o.mp4' }, 'webhook_url'],
    ['/vps/video/concatenate', 'one video only', { webhook_url: hook, path: 'p/', video_urls: [{ video_url: video }], output_filename: 'o.mp4' }, 'video_urls'],
    ['/runpod/video/concat_video_audio', 'no audio', { webhook_url: hook, path: 'p/', video_urls: [video], output_filename: 'o.mp4' }, 'audio_url'],
    ['/runpod/video/caption_style', 'unknown key rejected', { webhook_url: hook, path: 'p/', url_video: video, url_caption: video, output_filename: 'o.mp4', type: 'segments', bogus: 1 }, 'bogus'],
    ['/runpod/video/caption_style', 'bad colour', { webhook_url: hook, path: 'p/', url_video: video, url_caption: video, output_filename: 'o.mp4', type: 'highlight', style: { texto_cor: 'red' } }, 'style.texto_cor'],
    ['/runpod/video/caption_style', 'karaoke is not a type', { webhook_url: hook, path: 'p/', url_video: video, url_caption: video, output_filename: 'o.mp4', type: 'karaoke' }, 'type'],
    ['/runpod/video/trilhasonora', 'volume out of range', { webhook_url: hook, path: 'p/', url_video: video, trilha_sonora: video, output_filename: 'o.mp4', volume_reduction_db: 90 }, 'volume_reduction_db'],
    ['/vps/audio/concatenate', 'audio_urls missing', { path: 'p/' }, 'audio_urls'],
    ['/vps/audio/trilhasonora', 'db_offset too big', { audio_url: video, trilha_sonora: video, path: 'p/', db_offset: 51 }, 'db_offset'],
  ];

  it.each(cases.map(([r, w, b, f]) => [r, w, f, b] as const))('%s: %s → 400 naming %s, nothing started', async (route, _what, field, body) => {
    const before = await workflowCount();
    const res = await stack.api(route, { method: 'POST', json: body });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { message: string; details: { field: string; message: string }[] };
    expect(json.details.map((d) => d.field).join(' | ')).toContain(field);
    expect(json.message.length).toBeGreaterThan(0);
    expect(await workflowCount()).toBe(before);
  });

  it('keeps the seed error shape per route family', async () => {
    const joi = await (await stack.api('/vps/video/addaudio', { method: 'POST', json: {} })).json();
    expect(joi).toMatchObject({ error: 'Validation error', message: 'Invalid request parameters' });
    const strict = (await (await stack.api('/runpod/video/trilhasonora', { method: 'POST', json: {} })).json()) as { error: string; message: string };
    expect(strict.error).toBe('Validation failed');
    expect(strict.message).toMatch(/url_video: is required/);
    const audio = await (await stack.api('/vps/audio/concatenate', { method: 'POST', json: {} })).json();
    expect(audio).toMatchObject({ success: false, error: 'Validation error' });
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const res = await stack.api('/vps/video/addaudio', { method: 'POST', body: '{"webhook_url":', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
  });

  it('answers an unknown job id with 404 in the seed shape', async () => {
    const res = await stack.api('/jobs/00000000-0000-4000-8000-000000000000');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Job not found', message: 'Job 00000000-0000-4000-8000-000000000000 does not exist' });
  });

  it('publishes an OpenAPI document generated from the same schemas', async () => {
    const doc = (await (await fetch(`${stack.url}/docs/json`)).json()) as { paths: Record<string, { post?: { requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } } }> };
    const img2vid = doc.paths['/runpod/video/img2vid'].post!.requestBody!.content['application/json'].schema;
    expect(Object.keys(img2vid.properties!)).toEqual(expect.arrayContaining(['webhook_url', 'images', 'zoom_types', 'path']));
  });
});
