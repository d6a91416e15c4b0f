/** concatenate on real media: stream copy when the inputs match, targeted normalisation otherwise, transitions. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, makeVideo } from '../helpers/media';
import { createMediaRig, type MediaRig } from './local-run';
import { decodedFrameHashes, expectFailure, frame, packetHashes, rmsDb, streamDuration, streams } from './measure';

let rig: MediaRig;
const FPS = 25;

/** a solid-colour clip with a tone, the same codec settings as makeVideo */
async function colourClip(name: string, colour: string, seconds: number) {
  await ffmpeg(['-f', 'lavfi', '-i', `color=c=${colour}:size=320x240:rate=${FPS}:duration=${seconds}`, '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '96k', '-shortest', join(rig.mediaDir, name)]);
}

beforeAll(async () => {
  rig = await createMediaRig();
  const dir = rig.mediaDir;
  await makeVideo(join(dir, 'a.mp4'), { seconds: 3, fps: FPS });
  await makeVideo(join(dir, 'b.mp4'), { seconds: 2, fps: FPS });
  await makeVideo(join(dir, 'mute.mp4'), { seconds: 3, fps: FPS, audio: false });
  await makeVideo(join(dir, 'hd30.mp4'), { seconds: 2, fps: 30, size: '1280x720' });
  await colourClip('red.mp4', 'red', 2);
  await colourClip('blue.mp4', 'blue', 2);
  const whole = await readFile(join(dir, 'b.mp4'));
  await ffmpeg(['-i', join(dir, 'b.mp4'), '-c', 'copy', '-movflags', '+faststart', join(dir, 'b-faststart.mp4')]);
  const fs = await readFile(join(dir, 'b-faststart.mp4'));
  await writeFile(join(dir, 'truncated.mp4'), fs.subarray(0, Math.floor(fs.length * 0.6)));
  expect(whole.length).toBeGreaterThan(0);
});

afterAll(async () => {
  await rig?.close();
});

function request(files: string[], extra: Record<string, unknown> = {}) {
  return {
    webhook_url: 'https://example.com/hook',
    path: 'canal/t1/videos/',
    output_filename: `cat-${Math.random().toString(36).slice(2)}.mp4`,
    video_urls: files.map((f, i) => (i % 2 ? { video_url: rig.files.url(f) } : rig.files.url(f))),
    ...extra,
  };
}

const out = (req: { path: string; output_filename: string }) => rig.stored(`${req.path}${req.output_filename}`);

describe('concatenate', () => {
  it('joins matching inputs by stream copy: every packet of every input, in order', async () => {
    const req = request(['a.mp4', 'b.mp4', 'a.mp4']);
    const outcome = await rig.run('concatenate', req);
    const file = out(req);
    const src = (f: string, s: '0:v:0' | '0:a:0') => packetHashes(join(rig.mediaDir, f), s);
    const pictures = (f: string) => decodedFrameHashes(join(rig.mediaDir, f));
    expect(outcome.codec).toBe('copy');
    expect(await decodedFrameHashes(file)).toEqual([...(await pictures('a.mp4')), ...(await pictures('b.mp4')), ...(await pictures('a.mp4'))]);
    expect(await packetHashes(file, '0:a:0')).toEqual([...(await src('a.mp4', '0:a:0')), ...(await src('b.mp4', '0:a:0')), ...(await src('a.mp4', '0:a:0'))]);
    expect(Math.abs((await streamDuration(file, 'video')) - 8)).toBeLessThanOrEqual(1 / FPS);
    expect(outcome.result).toEqual({ video_url: expect.stringContaining(req.output_filename), pathRaiz: 'canal/t1/' });
  });

  it('only the audio differs: video copied, the silent clip gets silence, sound stays in sync', async () => {
    const req = request(['a.mp4', 'mute.mp4', 'b.mp4']);
    const outcome = await rig.run('concatenate', req);
    const file = out(req);
    expect(outcome.codec).toBe('copy');
    const hashes = async (f: string) => decodedFrameHashes(join(rig.mediaDir, f));
    expect(await decodedFrameHashes(file)).toEqual([...(await hashes('a.mp4')), ...(await hashes('mute.mp4')), ...(await hashes('b.mp4'))]);
    expect(Math.abs((await streamDuration(file, 'audio')) - 8)).toBeLessThan(0.1);
    expect(await rmsDb(file, 0.5, 2)).toBeGreaterThan(-30); // the tone of a.mp4
    expect(await rmsDb(file, 3.3, 2.4)).toBeLessThan(-80); // mute.mp4: silence
    expect(await rmsDb(file, 6.3, 1.4)).toBeGreaterThan(-30); // b.mp4's tone, where b plays
  });

  it('the video differs: one encode, each clip brought to the first clip\'s size and rate', async () => {
    const req = request(['a.mp4', 'hd30.mp4']);
    const outcome = await rig.run('concatenate', req);
    const file = out(req);
    expect(outcome.codec).toBe('libx264');
    const v = (await streams(file)).find((s) => s.codec_type === 'video')!;
    expect([v.width, v.height, v.avg_frame_rate]).toEqual([640, 360, '25/1']);
    expect(Math.abs((await streamDuration(file, 'video')) - 5)).toBeLessThanOrEqual(1 / FPS);
    expect(Math.abs((await streamDuration(file, 'audio')) - 5)).toBeLessThan(0.05);
  });

  it('crossfade: clips overlap by transition_duration, mid-transition frames are a blend', async () => {
    const req = request(['red.mp4', 'blue.mp4'], { transition: 'crossfade', transition_duration: 1 });
    await rig.run('concatenate', req);
    const file = out(req);
    const expected = (await streamDuration(join(rig.mediaDir, 'red.mp4'), 'video')) + (await streamDuration(join(rig.mediaDir, 'blue.mp4'), 'video')) - 1;
    expect(Math.abs((await streamDuration(file, 'video')) - expected)).toBeLessThanOrEqual(1 / FPS + 1e-6);
    const pixel = async (t: number) => frame(file, Math.round(t * FPS), { x: 100, y: 100, w: 2, h: 2 });
    const [r0, , b0] = await pixel(0.5);
    expect([r0 > 200, b0 < 30]).toEqual([true, true]);
    const [r, , b] = await pixel(1.5);
    expect(Math.min(r, b)).toBeGreaterThan(90);
    expect(Math.max(r, b)).toBeLessThan(170);
    const [r2, , b2] = await pixel(2.6);
    expect([r2 < 30, b2 > 200]).toEqual([true, true]);
  });

  it('fade: the picture goes through black between clips', async () => {
    const req = request(['red.mp4', 'blue.mp4'], { transition: 'fade', transition_duration: 1 });
    await rig.run('concatenate', req);
    const brightness: number[] = [];
    for (let n = FPS; n <= 2 * FPS; n += 2) brightness.push(Math.max(...(await frame(out(req), n, { x: 100, y: 100, w: 2, h: 2 }))));
    expect(Math.min(...brightness)).toBeLessThan(10);
    expect(brightness[0]).toBeGreaterThan(200);
    expect(brightness[brightness.length - 1]).toBeGreaterThan(150);
  });

  it('a truncated input fails naming it', async () => {
    await expectFailure(rig.run('concatenate', request(['a.mp4', 'truncated.mp4'])), 'BadMedia', 'video_urls[1]', /truncated|corrupt/);
  });

  it('a transition longer than a clip is refused naming the field', async () => {
    await expectFailure(rig.run('concatenate', request(['a.mp4', 'b.mp4'], { transition: 'crossfade', transition_duration: 2.5 })), 'BadInput', 'transition_duration');
  });
});
