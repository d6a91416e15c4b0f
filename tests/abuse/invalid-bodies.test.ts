/**
 * Abuse: 1,000 generated invalid bodies per endpoint family (wrong types, missing fields, arrays and
 * strings past their limits, unicode edge cases, deep nesting, prototype-pollution keys, malformed
 * JSON, multi-MB bodies). Every answer must be a JSON 4xx, never a 5xx, and no workflow may start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_URL_LENGTH } from '../../api/schemas/common';
import { gerarImagensRequest, gerarPromptsRequest } from '../../api/schemas/imagem';
import * as media from '../../api/schemas/media';
import { transcriptionRequest } from '../../api/schemas/transcription';
import { transcribeYoutubeRequest } from '../../api/schemas/youtube';
import { startStack, type Stack } from '../helpers/stack';
import { generateInvalidBodies, multiMegabyteCase, UNICODE_EDGES, type InvalidCase, type RouteSpec } from './invalid-bodies';

const CASES_PER_FAMILY = 1000;
const BODY_LIMIT_BYTES = 2 * 1024 * 1024;
const CONCURRENCY = 8;
const SEED = 20240611;

const hook = 'https://hooks.example.com/done';
const url = (name: string) => `https://media.example.com/${name}`;
const URL_MAX = MAX_URL_LENGTH;

const job = { webhook_url: hook, id_roteiro: 7, path: 'Canal/Titulo/videos/' };
const jobStrings = { webhook_url: URL_MAX, path: 900 };

function asyncMediaRoutes(prefix: 'vps' | 'runpod'): RouteSpec[] {
  return [
    {
      url: `/${prefix}/video/img2vid`,
      schema: media.img2vidRequest,
      valid: { ...job, images: [{ id: 'a', image_url: url('a.jpg'), duracao: 2 }], zoom_types: ['zoomin'] },
      arrays: { images: 1000, zoom_types: 28 },
      strings: { ...jobStrings, 'images.0.image_url': URL_MAX, 'images.0.id': 200 },
    },
    {
      url: `/${prefix}/video/caption_style`,
      schema: media.captionStyleRequest,
      valid: { ...job, url_video: url('v.mp4'), url_caption: url('c.srt'), output_filename: 'o.mp4', type: 'segments', style: { font: { name: 'Arial', size: 40 }, colors: { primary: '#FFFFFF' } } },
      arrays: {},
      strings: { ...jobStrings, url_video: URL_MAX, url_caption: URL_MAX, output_filename: 255, 'style.font.name': 100, 'style.colors.primary': 7, type: 11 },
    },
    {
      url: `/${prefix}/video/addaudio`,
      schema: media.addaudioRequest,
      valid: { ...job, url_video: url('v.mp4'), url_audio: url('a.mp3'), output_filename: 'o.mp4', length_mode: 'retime' },
      arrays: {},
      strings: { ...jobStrings, url_video: URL_MAX, url_audio: URL_MAX, output_filename: 255, length_mode: 12 },
    },
    {
      url: `/${prefix}/video/concatenate`,
      schema: media.concatenateRequest,
      valid: { ...job, video_urls: [url('1.mp4'), { video_url: url('2.mp4') }], output_filename: 'o.mp4', transition: 'none' },
      arrays: { video_urls: 200 },
      strings: { ...jobStrings, 'video_urls.0': URL_MAX, 'video_urls.1.video_url': URL_MAX, output_filename: 255, transition: 9 },
    },
    {
      url: `/${prefix}/video/concat_video_audio`,
      schema: media.concatVideoAudioRequest,
      valid: { ...job, video_urls: [url('1.mp4')], audio_url: url('a.mp3'), output_filename: 'o.mp4' },
      arrays: { video_urls: 50 },
      strings: { ...jobStrings, 'video_urls.0': URL_MAX, audio_url: URL_MAX, output_filename: 255 },
    },
    {
      url: `/${prefix}/video/trilhasonora`,
      schema: media.trilhasonoraRequest,
      valid: { ...job, url_video: url('v.mp4'), trilha_sonora: url('m.mp3'), output_filename: 'o.mp4', volume_reduction_db: 12 },
      arrays: {},
      strings: { ...jobStrings, url_video: URL_MAX, trilha_sonora: URL_MAX, output_filename: 255 },
    },
  ];
}

const FAMILIES: Record<string, RouteSpec[]> = {
  'async media (/vps/video/*, /runpod/video/*)': [...asyncMediaRoutes('vps'), ...asyncMediaRoutes('runpod')],
  '/vps/audio/*': [
    {
      url: '/vps/audio/concatenate',
      schema: media.audioConcatenateRequest,
      valid: { audio_urls: [{ audio_url: url('1.mp3') }, { audio_url: url('2.mp3') }], path: 'p/', output_filename: 'a.mp3' },
      arrays: { audio_urls: 500 },
      strings: { 'audio_urls.0.audio_url': URL_MAX, path: 900, output_filename: 255 },
    },
    {
      url: '/vps/audio/trilhasonora',
      schema: media.audioTrilhasonoraRequest,
      valid: { audio_url: url('v.mp3'), trilha_sonora: url('m.mp3'), path: 'p/', output_filename: 'a.mp3', db_offset: 30 },
      arrays: {},
      strings: { audio_url: URL_MAX, trilha_sonora: URL_MAX, path: 900, output_filename: 255 },
    },
  ],
  '/runpod/audio/transcribe*': ['/runpod/audio/transcribe', '/runpod/audio/transcribe-whisper'].map((route) => ({
    url: route,
    schema: transcriptionRequest('base'),
    valid: { audio_url: url('a.mp3'), path: 'transcripts/', model: 'base', language: 'pt', beam_size: 5, temperature: 0, enable_vad: true },
    arrays: {},
    strings: { audio_url: URL_MAX, path: 900, model: 100, language: 3 },
  })),
  '/vps/video/transcribe_youtube': [
    {
      url: '/vps/video/transcribe_youtube',
      schema: transcribeYoutubeRequest,
      valid: { url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ', language: 'pt-BR', prefer: 'manual', path: 'yt/' },
      arrays: {},
      strings: { url: 2048, path: 900, prefer: 6 },
    },
  ],
  '/vps/imagem/*': [
    {
      url: '/vps/imagem/gerarPrompts',
      schema: gerarPromptsRequest,
      valid: { cenas: [{ index: 0, texto: 'Uma floresta ao amanhecer' }], estilo: 'cinematic', detalhe_estilo: 'warm light', roteiro: 'r', agente: 'a', model: 'm' },
      arrays: { cenas: 1000 },
      strings: { estilo: 500, detalhe_estilo: 1000, model: 200 },
    },
    {
      url: '/vps/imagem/gerarImagens',
      schema: gerarImagensRequest,
      valid: { prompts: [{ index: 0, prompt: 'a forest at dawn' }], image_model: 'runware:101@1', altura: 1024, largura: 1024, path: 'imagens/' },
      arrays: { prompts: 1000 },
      strings: { image_model: 100, path: 900 },
    },
  ],
};

let stack: Stack;
beforeAll(async () => {
  // no workers: nothing may depend on work being picked up; a limit high enough never to mask answers
  stack = await startStack({ RATE_LIMIT_MAX: '1000000', BODY_LIMIT_BYTES: String(BODY_LIMIT_BYTES) }, { workers: false });
});
afterAll(() => stack?.stop());

const workflowCount = async () => (await stack.runtime.client.workflow.count()).count;

interface Answer {
  c: InvalidCase;
  status: number;
  contentType: string;
  body: unknown;
}

async function send(c: InvalidCase): Promise<Answer> {
  const res = await stack.api(c.route, { method: 'POST', body: c.body, headers: { 'content-type': c.contentType } });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { c, status: res.status, contentType: res.headers.get('content-type') ?? '', body };
}

async function sendAll(cases: InvalidCase[]): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < cases.length) answers.push(await send(cases[next++]));
    }),
  );
  return answers;
}

/** What is wrong with one answer, or null. */
function problemWith({ c, status, contentType, body }: Answer): string | null {
  if (status < 400 || status > 499) return `answered ${status}`;
  if (c.status !== undefined && status !== c.status) return `answered ${status}, expected ${c.status}`;
  if (!contentType.includes('application/json') || body === undefined) return `answered ${status} without a JSON body`;
  // a body the JSON parser accepted is a validation error: 400 listing the bad fields
  if (c.parsed !== undefined && c.parsed !== null && typeof c.parsed === 'object' && !Array.isArray(c.parsed)) {
    if (status !== 400) return `answered ${status}, expected 400`;
    const details = (body as { details?: { field?: string }[] }).details;
    if (!details?.length || details.some((d) => !d.field)) return `400 without details naming the field: ${JSON.stringify(body).slice(0, 200)}`;
  }
  return null;
}

describe.each(Object.entries(FAMILIES))('%s', (family, specs) => {
  it(`answers ${CASES_PER_FAMILY} invalid bodies with JSON 4xx, starting no workflow`, async () => {
    const multiMb = specs.map((spec) => multiMegabyteCase(spec, BODY_LIMIT_BYTES));
    const cases = [...generateInvalidBodies(specs, CASES_PER_FAMILY - multiMb.length, SEED + family.length), ...multiMb];
    expect(cases).toHaveLength(CASES_PER_FAMILY);
    // the generator covers every kind of abuse for this family
    expect(new Set(cases.map((c) => c.kind))).toEqual(
      new Set(['missing-field', 'wrong-type', 'unicode', 'huge-string', 'deep-nesting', 'proto-key', 'malformed-json', 'not-an-object', 'wrong-content-type', 'multi-mb', ...(specs.some((s) => Object.keys(s.arrays).length) ? ['huge-array'] : [])]),
    );

    const before = await workflowCount();
    const answers = await sendAll(cases);
    const problems = answers.map((a) => [a, problemWith(a)] as const).filter(([, p]) => p !== null);
    expect(problems.map(([a, p]) => `${a.c.route} ${a.c.kind} (${a.c.what}): ${p}`).slice(0, 20)).toEqual([]);
    expect(answers).toHaveLength(CASES_PER_FAMILY);
    expect(await workflowCount()).toBe(before);
  });
});

describe('after the barrage', () => {
  it('left Object.prototype unpolluted in the API process', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('started no workflow at all (visibility re-read after it settled)', async () => {
    const before = await workflowCount();
    await new Promise((r) => setTimeout(r, 1000));
    expect(await workflowCount()).toBe(before);
  });
});

describe('unicode edge cases in storage keys', () => {
  const base = { webhook_url: hook, path: 'p/', url_video: url('v.mp4'), url_audio: url('a.mp3'), output_filename: 'o.mp4' };
  const cases = Object.entries(UNICODE_EDGES).flatMap(([name, value]) => [
    [name, 'path', { ...base, path: `${value}/` }],
    [name, 'output_filename', { ...base, output_filename: `${value}.mp4` }],
  ]) as [string, string, Record<string, unknown>][];

  it.each(cases)('%s in %s → 400 naming it', async (_name, field, body) => {
    const res = await stack.api('/vps/video/addaudio', { method: 'POST', json: body });
    expect(res.status).toBe(400);
    const json = (await res.json()) as { details: { field: string }[] };
    expect(json.details.map((d) => d.field)).toContain(field);
  });

  it('accepts emoji and accented letters in paths (only broken or deceptive text is refused)', () => {
    expect(media.addaudioRequest.safeParse({ ...base, path: 'Canal 🎬/Vídeos/', output_filename: 'ação 🎵.mp4' }).success).toBe(true);
  });
});
