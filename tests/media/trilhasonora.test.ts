/**
 * Background music (trilhasonora and /vps/audio/trilhasonora) on real media. The music is a 12 kHz
 * tone: espeak-ng speech (22.05 kHz) has nothing above 11 kHz, so a high-pass isolates the music in
 * the mix and its level can be measured while the narration speaks.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg } from '../helpers/media';
import { createMediaRig, type MediaRig } from './local-run';
import { expectFailure, integratedLufs, packetHashes, rmsDb, speechWindows, streamDuration, streams } from './measure';

const run = promisify(execFile);
const MUSIC_BAND = 'highpass=f=11000,highpass=f=11000,highpass=f=11000';

let rig: MediaRig;
/** where the narration speaks, and one pause in the middle */
let speech: [number, number][];
let pause: [number, number];
let narrationSeconds: number;

async function meanVolume(path: string): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', path, '-map', '0:a:0', '-af', 'volumedetect', '-f', 'null', '-']);
  return Number(/mean_volume:\s*(-?[\d.]+) dB/.exec(stderr)![1]);
}

beforeAll(async () => {
  rig = await createMediaRig();
  const dir = rig.mediaDir;
  const say = (file: string, text: string) => run('espeak-ng', ['-v', 'pt', '-s', '150', '-w', join(dir, file), text]);
  await say('s1.wav', 'Primeira parte da narração, com várias palavras seguidas.');
  await say('s2.wav', 'Agora a segunda parte, depois da pausa.');
  // speech, 2.5 s pause, speech, 2 s of music alone at the end
  await ffmpeg(['-i', join(dir, 's1.wav'), '-f', 'lavfi', '-t', '2.5', '-i', 'anullsrc=r=22050:cl=mono', '-i', join(dir, 's2.wav'), '-f', 'lavfi', '-t', '2', '-i', 'anullsrc=r=22050:cl=mono', '-filter_complex', '[0][1][2][3]concat=n=4:v=0:a=1', join(dir, 'narration.wav')]);
  await ffmpeg(['-i', join(dir, 'narration.wav'), '-c:a', 'libmp3lame', '-b:a', '128k', join(dir, 'narration.mp3')]);
  narrationSeconds = await streamDuration(join(dir, 'narration.wav'), 'audio');
  await ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${narrationSeconds}`, '-i', join(dir, 'narration.wav'), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', join(dir, 'narrated.mp4')]);
  await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=12000:sample_rate=44100:duration=3.3', '-af', 'volume=0.5', '-c:a', 'libmp3lame', '-b:a', '192k', join(dir, 'music.mp3')]);
  await ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo', '-t', '3', '-c:a', 'libmp3lame', join(dir, 'silent.mp3')]);
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', join(dir, 'no-audio.mp4')]);
  speech = await speechWindows(join(dir, 'narration.wav'));
  expect(speech.length).toBe(2);
  pause = [speech[0][1], speech[1][0]];
});

afterAll(async () => {
  await rig?.close();
});

/** music level under speech vs in the pause, and the narration over the music */
async function expectDucked(file: string) {
  const inPause = await rmsDb(file, pause[0] + 0.5, pause[1] - pause[0] - 1, MUSIC_BAND);
  const underSpeech = await rmsDb(file, speech[0][0] + 0.5, speech[0][1] - speech[0][0] - 1, MUSIC_BAND);
  const voice = await rmsDb(file, speech[0][0] + 0.5, speech[0][1] - speech[0][0] - 1);
  expect(inPause).toBeGreaterThan(-60); // the music is there
  expect(inPause - underSpeech).toBeGreaterThan(8); // and steps back while the narration speaks
  expect(voice - underSpeech).toBeGreaterThan(25); // the narration is never masked
  // faded out: the last half second is well below the music alone just before the fade
  const end = narrationSeconds;
  const beforeFade = await rmsDb(file, speech[1][1] + 0.1, 0.3, MUSIC_BAND);
  expect(beforeFade - (await rmsDb(file, end - 0.3, 0.25, MUSIC_BAND))).toBeGreaterThan(10);
  expect(Math.abs((await integratedLufs(file)) - -16)).toBeLessThan(1.5);
}

function videoRequest(extra: Record<string, unknown> = {}) {
  return { webhook_url: 'https://example.com/hook', path: 'canal/t3/videos/', output_filename: `tri-${Math.random().toString(36).slice(2)}.mp4`, url_video: rig.files.url('narrated.mp4'), trilha_sonora: rig.files.url('music.mp3'), ...extra };
}

describe('trilhasonora (video)', () => {
  it('loops the music under the narration, ducked, faded, at -16 LUFS, with the video copied', async () => {
    const req = videoRequest();
    const outcome = await rig.run('trilhasonora', req);
    const file = rig.stored(`${req.path}${req.output_filename}`);
    expect(outcome.codec).toBe('copy');
    expect(await packetHashes(file, '0:v:0')).toEqual(await packetHashes(join(rig.mediaDir, 'narrated.mp4'), '0:v:0'));
    expect((await streams(file)).map((s) => `${s.codec_type}:${s.codec_name}`)).toEqual(['video:h264', 'audio:aac']);
    const video = await streamDuration(file, 'video');
    expect(Math.abs((await streamDuration(file, 'audio')) - video)).toBeLessThan(0.05);
    await expectDucked(file);

    // automatic level, as the seed computed it: music mean − narration mean + 20, within 0–40
    const auto = Math.min(40, Math.max(0, (await meanVolume(join(rig.mediaDir, 'music.mp3'))) - (await meanVolume(join(rig.mediaDir, 'narrated.mp4'))) + 20));
    expect(outcome.result).toMatchObject({
      video_url: expect.stringContaining(req.output_filename),
      pathRaiz: 'canal/t3/',
      trilha_duration: expect.closeTo(3.3, 1),
      loops_applied: Math.floor(narrationSeconds / 3.3) + 1,
      gpu_accelerated: false,
      encoder: 'copy',
    });
    expect(outcome.result.volume_reduction_db).toBeCloseTo(auto, 0);
  });

  it('a manual volume_reduction_db lowers the music by that much more', async () => {
    const quiet = videoRequest({ volume_reduction_db: 30 });
    const loud = videoRequest({ volume_reduction_db: 10 });
    expect((await rig.run('trilhasonora', quiet)).result.volume_reduction_db).toBe(30);
    expect((await rig.run('trilhasonora', loud)).result.volume_reduction_db).toBe(10);
    const level = (r: typeof quiet) => rmsDb(rig.stored(`${r.path}${r.output_filename}`), pause[0] + 0.5, pause[1] - pause[0] - 1, MUSIC_BAND);
    expect((await level(loud)) - (await level(quiet))).toBeGreaterThan(12);
  });

  it('a video without a narration track fails naming url_video', async () => {
    await expectFailure(rig.run('trilhasonora', videoRequest({ url_video: rig.files.url('no-audio.mp4') })), 'BadMedia', 'url_video', /audio/);
  });

  it('silent music fails naming trilha_sonora', async () => {
    await expectFailure(rig.run('trilhasonora', videoRequest({ trilha_sonora: rig.files.url('silent.mp3') })), 'BadMedia', 'trilha_sonora', /silent/);
  });
});

describe('/vps/audio/trilhasonora', () => {
  it('mixes the same way into an MP3 192k as long as the narration', async () => {
    // db_offset 15 (default 30) keeps the music well above what speech leaks into the measuring band
    const req = { audio_url: rig.files.url('narration.mp3'), trilha_sonora: rig.files.url('music.mp3'), path: 'audio/mix/', db_offset: 15 };
    const outcome = await rig.run('audio_trilhasonora', req);
    const file = rig.stored('audio/mix/audio_with_trilha.mp3');
    const [s] = await streams(file);
    expect([s.codec_type, s.codec_name, s.sample_rate]).toEqual(['audio', 'mp3', '48000']);
    expect(Number(s.bit_rate)).toBe(192000);
    expect(Math.abs((await streamDuration(file, 'audio')) - narrationSeconds)).toBeLessThan(0.06);
    await expectDucked(file);
    const reduction = (await meanVolume(join(rig.mediaDir, 'music.mp3'))) - (await meanVolume(join(rig.mediaDir, 'narration.mp3'))) + 15;
    expect(outcome.result).toMatchObject({
      success: true,
      audio_url: expect.stringContaining('audio/mix/audio_with_trilha.mp3'),
      filename: 'audio_with_trilha.mp3',
      s3_key: 'audio/mix/audio_with_trilha.mp3',
      audio_duration: expect.closeTo(narrationSeconds, 2),
      loops_applied: Math.ceil(narrationSeconds / 3.3) - 1,
    });
    expect(outcome.result.volume_reduction_db).toBeCloseTo(reduction, 0);
    expect(outcome.result.message).toMatch(/^Audio mixed with trilha sonora \(\d+ loops, -[\d.]+dB\)$/);
  });

  it('a silent narration fails naming audio_url', async () => {
    await expectFailure(rig.run('audio_trilhasonora', { audio_url: rig.files.url('silent.mp3'), trilha_sonora: rig.files.url('music.mp3'), path: 'a/' }), 'BadMedia', 'audio_url', /silent/);
  });
});
