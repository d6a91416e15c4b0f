/**
 * caption_style on real video: captions appear where and when they should (compared with the source
 * frame at the same time), caption text never acts as markup, and the highlighted word moves at its
 * timestamp. The source is a flat grey picture, so anything drawn on it stands out.
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg } from '../helpers/media';
import { createMediaRig, type MediaRig } from './local-run';
import { colourPixels, expectFailure, frame, meanAbsDiff, packetHashes, streams, type Region } from './measure';

const FPS = 25;
const W = 640;
const H = 360;
const BOTTOM: Region = { x: 0, y: 260, w: W, h: 100 };
const TOP: Region = { x: 0, y: 0, w: W, h: 100 };
const RED: [number, number, number] = [214, 0, 0];
/** mean difference of a region from the source: a caption line moves it by ~3, an untouched flat region stays at ~0 */
const SHOWN = 1;
const ABSENT = 0.2;

let rig: MediaRig;
const source = () => join(rig.mediaDir, 'grey.mp4');

beforeAll(async () => {
  rig = await createMediaRig();
  await ffmpeg(['-f', 'lavfi', '-i', `color=c=gray:size=${W}x${H}:rate=${FPS}:duration=4`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=4', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', source()]);
  await writeFile(join(rig.mediaDir, 'cues.srt'), '1\r\n00:00:00,500 --> 00:00:01,500\r\n{\\an8}Olá {\\b1}mundo\\N!\r\n\r\n2\r\n00:00:02,500 --> 00:00:03,500\r\nsegunda legenda\r\n');
  await writeFile(join(rig.mediaDir, 'karaoke.srt'), '1\n00:00:00,500 --> 00:00:02,500\num dois três quatro\n');
  await writeFile(join(rig.mediaDir, 'garbage.srt'), 'this is not a subtitle file\n');
  await writeFile(
    join(rig.mediaDir, 'words.json'),
    JSON.stringify({ words: [{ word: 'UM', start: 0.5, end: 1.0 }, { word: 'DOIS', start: 1.0, end: 1.6 }, { word: 'TRES', start: 2.0, end: 2.6 }], metadata: { language: 'pt' } }),
  );
});

afterAll(async () => {
  await rig?.close();
});

function request(type: string, caption: string, style: Record<string, unknown> = {}) {
  return { webhook_url: 'https://example.com/hook', path: 'canal/t4/videos/', output_filename: `cap-${Math.random().toString(36).slice(2)}.mp4`, url_video: rig.files.url('grey.mp4'), url_caption: rig.files.url(caption), type, style };
}

/** how much a region of output frame n differs from the same region of the source frame */
async function change(file: string, n: number, region: Region): Promise<number> {
  return meanAbsDiff(await frame(file, n, region), await frame(source(), n, region));
}

const at = (t: number) => Math.round(t * FPS);

describe('caption_style segments', () => {
  it('burns each cue in the bottom region during its time only, the text shown literally', async () => {
    const req = request('segments', 'cues.srt', { font: { name: 'DejaVu Sans', size: 60 } });
    const outcome = await rig.run('caption_style', req);
    const file = rig.stored(`${req.path}${req.output_filename}`);
    expect(outcome.result).toEqual({ video_url: expect.stringContaining(req.output_filename), pathRaiz: 'canal/t4/' });
    expect(await packetHashes(file, '0:a:0')).toEqual(await packetHashes(source(), '0:a:0'));

    // cue 1: 0.50–1.50 s (frames 13..37 at 25 fps), cue 2: 2.50–3.50 s
    expect(await change(file, at(0.2), BOTTOM)).toBeLessThan(ABSENT);
    expect(await change(file, 12, BOTTOM)).toBeLessThan(ABSENT);
    expect(await change(file, 13, BOTTOM)).toBeGreaterThan(SHOWN);
    expect(await change(file, 37, BOTTOM)).toBeGreaterThan(SHOWN);
    expect(await change(file, 38, BOTTOM)).toBeLessThan(ABSENT);
    expect(await change(file, at(2), BOTTOM)).toBeLessThan(ABSENT);
    expect(await change(file, at(3), BOTTOM)).toBeGreaterThan(SHOWN);
    expect(await change(file, at(3.8), BOTTOM)).toBeLessThan(ABSENT);
    // "{\an8}" in the text is text: nothing moved to the top of the picture
    expect(await change(file, at(1), TOP)).toBeLessThan(ABSENT);
  });

  it('an unknown font is refused naming the field and listing the installed fonts', async () => {
    const message = await expectFailure(rig.run('caption_style', request('segments', 'cues.srt', { font: { name: 'No Such Font Sans' } })), 'BadInput', 'style.font.name');
    expect(message).toContain('DejaVu Sans');
  });

  it('a caption file that is not an SRT fails naming url_caption', async () => {
    await expectFailure(rig.run('caption_style', request('segments', 'garbage.srt')), 'BadMedia', 'url_caption');
  });
});

describe('caption_style highlight', () => {
  const style = { fonte: 'DejaVu Sans', tamanho_fonte: 70, highlight_cor: '#D60000', highlight_borda: 8, words_per_line: 4, padding_vertical: 40 };

  it('highlights the spoken word, moving at each word\'s timestamp, nothing in the gaps', async () => {
    const req = request('highlight', 'words.json', style);
    await rig.run('caption_style', req);
    const file = rig.stored(`${req.path}${req.output_filename}`);
    const red = async (n: number) => colourPixels(await frame(file, n, BOTTOM), W, RED, 90);

    expect(await change(file, 11, BOTTOM)).toBeLessThan(ABSENT); // before the first word
    const um = await red(at(0.96)); // last frame of "UM"
    const dois = await red(at(1.0)); // first frame of "DOIS"
    expect(um.count).toBeGreaterThan(50);
    expect(dois.count).toBeGreaterThan(50);
    expect(dois.meanX).toBeGreaterThan(um.meanX + 20);
    // 1.6–2.0 s: a pause; the caption stays, nothing is highlighted
    expect((await red(at(1.8))).count).toBeLessThan(10);
    expect(await change(file, at(1.8), BOTTOM)).toBeGreaterThan(SHOWN);
    const tres = await red(at(2.2));
    expect(tres.meanX).toBeGreaterThan(dois.meanX + 20);
    expect(await change(file, at(2.8), BOTTOM)).toBeLessThan(ABSENT); // after the last word
  });

  it('word_by_word shows one word at a time and nothing between words', async () => {
    const req = request('word_by_word', 'words.json', style);
    await rig.run('caption_style', req);
    const file = rig.stored(`${req.path}${req.output_filename}`);
    expect(await change(file, at(0.7), BOTTOM)).toBeGreaterThan(SHOWN);
    expect(await change(file, at(1.8), BOTTOM)).toBeLessThan(ABSENT);
    expect(await change(file, at(2.3), BOTTOM)).toBeGreaterThan(SHOWN);
  });

  it('karaoke_srt spreads each cue over its words: the highlight travels left to right', async () => {
    const req = request('karaoke_srt', 'karaoke.srt', style);
    await rig.run('caption_style', req);
    const file = rig.stored(`${req.path}${req.output_filename}`);
    const red = async (t: number) => colourPixels(await frame(file, at(t), BOTTOM), W, RED, 90);
    const first = await red(0.6);
    const last = await red(2.4);
    expect(first.count).toBeGreaterThan(50);
    expect(last.meanX).toBeGreaterThan(first.meanX + 100);
    const v = (await streams(file)).find((s) => s.codec_type === 'video')!;
    expect([v.width, v.height]).toEqual([W, H]);
  });
});
