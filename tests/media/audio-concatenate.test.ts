/** /vps/audio/concatenate on real media: stream copy for matching files, one re-encode for mixed ones. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg } from '../helpers/media';
import { createMediaRig, type MediaRig } from './local-run';
import { expectFailure, packetHashes, rmsDb, streamDuration, streams } from './measure';

let rig: MediaRig;

const tone = (freq: number, seconds: number, codec: string[], file: string) =>
  ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=${freq}:sample_rate=44100:duration=${seconds}`, ...codec, join(rig.mediaDir, file)]);
const MP3 = ['-c:a', 'libmp3lame', '-b:a', '128k'];

beforeAll(async () => {
  rig = await createMediaRig();
  await tone(300, 2, MP3, 'a.mp3');
  await tone(1000, 1.5, MP3, 'b.mp3');
  await tone(3000, 2, MP3, 'c.mp3');
  await tone(1000, 2, ['-c:a', 'pcm_s16le', '-ac', '2'], 'b.wav');
  await tone(3000, 2, ['-c:a', 'aac', '-ar', '48000'], 'c.m4a');
  await ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=mono', '-t', '0', join(rig.mediaDir, 'empty.wav')]);
});

afterAll(async () => {
  await rig?.close();
});

const urls = (...files: string[]) => files.map((f) => ({ audio_url: rig.files.url(f) }));

describe('/vps/audio/concatenate', () => {
  it('joins matching MP3s by stream copy, every packet in order', async () => {
    const outcome = await rig.run('audio_concatenate', { audio_urls: urls('a.mp3', 'b.mp3', 'c.mp3'), path: 'voz/final/' });
    const file = rig.stored('voz/final/audio_concatenated.mp3');
    const src = async (f: string) => packetHashes(join(rig.mediaDir, f), '0:a:0');
    expect(await packetHashes(file, '0:a:0')).toEqual([...(await src('a.mp3')), ...(await src('b.mp3')), ...(await src('c.mp3'))]);
    // stream copy keeps each MP3's encoder padding (a few ms per file): the length is the inputs' sum
    const inputs = (await Promise.all(['a.mp3', 'b.mp3', 'c.mp3'].map((f) => streamDuration(join(rig.mediaDir, f), 'audio')))).reduce((x, y) => x + y, 0);
    expect(Math.abs((await streamDuration(file, 'audio')) - inputs)).toBeLessThan(0.03);
    expect(outcome.result).toEqual({
      success: true,
      audio_url: expect.stringContaining('voz/final/audio_concatenated.mp3'),
      filename: 'audio_concatenated.mp3',
      s3_key: 'voz/final/audio_concatenated.mp3',
      audio_count: 3,
      total_duration: expect.closeTo(inputs, 2),
      message: '3 audio files concatenated successfully',
    });
  });

  it('mixes MP3, WAV and AAC into one MP3, in order', async () => {
    const outcome = await rig.run('audio_concatenate', { audio_urls: urls('a.mp3', 'b.wav', 'c.m4a'), path: 'voz/', output_filename: 'mix.mp3' });
    const file = rig.stored('voz/mix.mp3');
    const [s] = await streams(file);
    expect([s.codec_name, s.sample_rate]).toEqual(['mp3', '48000']);
    expect(Math.abs((await streamDuration(file, 'audio')) - 6)).toBeLessThan(0.1);
    expect(outcome.result.total_duration).toBeCloseTo(6, 1);
    // each piece where it belongs: 300 Hz, then 1 kHz, then 3 kHz
    const band = (t: number, f: number) => rmsDb(file, t, 1, `bandpass=f=${f}:width_type=q:w=8,bandpass=f=${f}:width_type=q:w=8`);
    expect((await band(0.5, 300)) - (await band(0.5, 3000))).toBeGreaterThan(30);
    expect((await band(2.5, 1000)) - (await band(2.5, 300))).toBeGreaterThan(30);
    expect((await band(4.5, 3000)) - (await band(4.5, 1000))).toBeGreaterThan(30);
  });

  it('writes the format output_filename names (WAV here)', async () => {
    await rig.run('audio_concatenate', { audio_urls: urls('a.mp3', 'b.mp3'), path: 'voz/', output_filename: 'joined.wav' });
    const [s] = await streams(rig.stored('voz/joined.wav'));
    expect(s.codec_name).toBe('pcm_s16le');
  });

  it('a zero-length input fails naming it', async () => {
    await expectFailure(rig.run('audio_concatenate', { audio_urls: urls('a.mp3', 'empty.wav'), path: 'voz/' }), 'BadMedia', 'audio_urls[1].audio_url', /empty|zero/);
  });
});
