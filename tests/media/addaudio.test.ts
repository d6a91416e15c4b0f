/** addaudio on real media: the video is copied bit for bit, lengths follow length_mode. */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, makeSpeech, makeTone, makeVideo } from '../helpers/media';
import { createMediaRig, type MediaRig } from './local-run';
import { expectFailure, frame, meanAbsDiff, packetHashes, streamDuration, streams } from './measure';

let rig: MediaRig;
let sourceHashes: string[];
const FPS = 25;

beforeAll(async () => {
  rig = await createMediaRig();
  const dir = rig.mediaDir;
  await makeVideo(join(dir, 'video.mp4'), { seconds: 6, fps: FPS });
  await makeSpeech(join(dir, 'speech.mp3'), 'Olá, esta é a nova narração do vídeo de teste.');
  await makeTone(join(dir, 'long.mp3'), 9);
  await makeTone(join(dir, 'short.mp3'), 3.5);
  sourceHashes = await packetHashes(join(dir, 'video.mp4'), '0:v:0');
  // bad media
  await ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=mono', '-t', '3', '-c:a', 'libmp3lame', join(dir, 'silent.mp3')]);
  await ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=mono', '-t', '0', join(dir, 'empty.wav')]);
  await ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=${FPS}:duration=4`, '-c:v', 'libx264', '-preset', 'ultrafast', '-movflags', '+faststart', join(dir, 'whole.mp4')]);
  const whole = await readFile(join(dir, 'whole.mp4'));
  await writeFile(join(dir, 'truncated.mp4'), whole.subarray(0, Math.floor(whole.length / 2)));
  // an AVI whose codec tag no decoder knows
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10:duration=1', '-c:v', 'mpeg4', '-vtag', 'XVID', join(dir, 'xvid.avi')]);
  const avi = await readFile(join(dir, 'xvid.avi'));
  await writeFile(join(dir, 'unknown-codec.avi'), Buffer.from(avi.toString('latin1').replace(/XVID|FMP4/g, 'QQQQ'), 'latin1'));
  await copyFile(join(dir, 'video.mp4'), join(dir, 'video2.mp4'));
});

afterAll(async () => {
  await rig?.close();
});

function request(audio: string, extra: Record<string, unknown> = {}) {
  return { webhook_url: 'https://example.com/hook', path: 'canal/t1/videos/temp/', output_filename: `out-${Math.random().toString(36).slice(2)}.mp4`, url_video: rig.files.url('video.mp4'), url_audio: rig.files.url(audio), ...extra };
}

async function outputOf(req: { path: string; output_filename: string }) {
  return rig.stored(`${req.path}${req.output_filename}`);
}

describe('addaudio', () => {
  it('retimes the copied video to the new audio (the seed default) and reports speed_factor', async () => {
    const req = request('speech.mp3');
    const outcome = await rig.run('addaudio', req);
    const out = await outputOf(req);

    expect(outcome.codec).toBe('copy');
    expect(await packetHashes(out, '0:v:0')).toEqual(sourceHashes);
    const s = await streams(out);
    expect(s.map((x) => `${x.codec_type}:${x.codec_name}`)).toEqual(['video:h264', 'audio:aac']);
    const audio = await streamDuration(out, 'audio');
    const video = await streamDuration(out, 'video');
    const speed = 6 / audio;
    expect(Math.abs(video - audio)).toBeLessThanOrEqual(1 / (FPS * speed));
    expect(outcome.result).toEqual({ video_url: expect.stringContaining(req.output_filename), pathRaiz: 'canal/t1/', speed_factor: Math.round(speed * 1000) / 1000 });
    expect(s[1].sample_rate).toBe('48000');
  });

  it('cut_to_audio: a longer video is cut where the audio ends, still copied', async () => {
    const req = request('speech.mp3', { length_mode: 'cut_to_audio' });
    const outcome = await rig.run('addaudio', req);
    const out = await outputOf(req);
    const hashes = await packetHashes(out, '0:v:0');
    expect(hashes).toEqual(sourceHashes.slice(0, hashes.length));
    expect(Math.abs((await streamDuration(out, 'video')) - (await streamDuration(out, 'audio')))).toBeLessThanOrEqual(1 / FPS);
    expect(outcome.result.speed_factor).toBe(1);
  });

  it('cut_to_video: a longer audio is cut at the video end', async () => {
    const req = request('long.mp3', { length_mode: 'cut_to_video' });
    await rig.run('addaudio', req);
    const out = await outputOf(req);
    expect(await packetHashes(out, '0:v:0')).toEqual(sourceHashes);
    expect(Math.abs((await streamDuration(out, 'audio')) - 6)).toBeLessThanOrEqual(1 / FPS);
  });

  it('pad: a shorter audio is padded with silence, the video copied', async () => {
    const req = request('short.mp3', { length_mode: 'pad' });
    const outcome = await rig.run('addaudio', req);
    const out = await outputOf(req);
    expect(outcome.codec).toBe('copy');
    expect(await packetHashes(out, '0:v:0')).toEqual(sourceHashes);
    expect(Math.abs((await streamDuration(out, 'audio')) - 6)).toBeLessThanOrEqual(1 / FPS);
  });

  it('pad: a shorter video holds its last frame (the one case that re-encodes)', async () => {
    const req = request('long.mp3', { length_mode: 'pad' });
    const outcome = await rig.run('addaudio', req);
    const out = await outputOf(req);
    expect(outcome.codec).toBe('libx264');
    expect(Math.abs((await streamDuration(out, 'video')) - 9)).toBeLessThanOrEqual(1 / FPS + 0.03);
    const last = await frame(join(rig.mediaDir, 'video.mp4'), 6 * FPS - 1);
    expect(meanAbsDiff(await frame(out, 8 * FPS), last)).toBeLessThan(3);
  });

  it('loop: the copied video repeats until the audio ends', async () => {
    const req = request('long.mp3', { length_mode: 'loop' });
    await rig.run('addaudio', req);
    const out = await outputOf(req);
    const hashes = await packetHashes(out, '0:v:0');
    expect(hashes.slice(0, sourceHashes.length)).toEqual(sourceHashes);
    expect(hashes.slice(sourceHashes.length)).toEqual(sourceHashes.slice(0, hashes.length - sourceHashes.length));
    expect(Math.abs((await streamDuration(out, 'video')) - (await streamDuration(out, 'audio')))).toBeLessThanOrEqual(1 / FPS);
  });

  describe('bad media fails naming the input', () => {
    it('truncated video', async () => {
      await expectFailure(rig.run('addaudio', request('speech.mp3', { url_video: rig.files.url('truncated.mp4') })), 'BadMedia', 'url_video', /truncated|corrupt/);
    });
    it('silent audio', async () => {
      await expectFailure(rig.run('addaudio', request('silent.mp3')), 'BadMedia', 'url_audio', /silent/);
    });
    it('zero-length audio', async () => {
      await expectFailure(rig.run('addaudio', request('empty.wav')), 'BadMedia', 'url_audio', /empty|zero/);
    });
    it('unsupported video codec', async () => {
      await expectFailure(rig.run('addaudio', request('speech.mp3', { url_video: rig.files.url('unknown-codec.avi') })), 'BadMedia', 'url_video', /not supported/);
    });
    it('an audio file given as the video', async () => {
      await expectFailure(rig.run('addaudio', request('speech.mp3', { url_video: rig.files.url('speech.mp3') })), 'BadMedia', 'url_video', /no video stream/);
    });
  });
});
