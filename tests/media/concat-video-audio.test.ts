/** concat_video_audio on real media: clips cycle under the narration and stop with it. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, makeSpeech, makeVideo } from '../helpers/media';
import { createMediaRig, type MediaRig } from './local-run';
import { decodedFrameHashes, expectFailure, frame, packetHashes, streamDuration, streams } from './measure';

let rig: MediaRig;
let narration: number;

beforeAll(async () => {
  rig = await createMediaRig();
  const dir = rig.mediaDir;
  await makeVideo(join(dir, 'wide.mp4'), { seconds: 2, fps: 25, size: '640x360' });
  await makeVideo(join(dir, 'wide2.mp4'), { seconds: 1.5, fps: 25, size: '640x360' });
  await makeVideo(join(dir, 'square.mp4'), { seconds: 1.5, fps: 24, size: '480x360' });
  await makeSpeech(join(dir, 'narration.mp3'), 'Esta narração é mais longa do que os dois clipes somados, então eles se repetem.');
  await ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=mono', '-t', '4', '-c:a', 'libmp3lame', join(dir, 'silent.mp3')]);
  // the narration's true length, from its decoded samples
  await ffmpeg(['-i', join(dir, 'narration.mp3'), '-c:a', 'pcm_s16le', join(dir, 'narration.wav')]);
  narration = await streamDuration(join(dir, 'narration.wav'), 'audio');
});

afterAll(async () => {
  await rig?.close();
});

function request(clips: string[], extra: Record<string, unknown> = {}) {
  return { webhook_url: 'https://example.com/hook', path: 'canal/t2/', output_filename: `cva-${Math.random().toString(36).slice(2)}.mp4`, video_urls: clips.map((c) => rig.files.url(c)), audio_url: rig.files.url('narration.mp3'), ...extra };
}

const out = (req: { path: string; output_filename: string }) => rig.stored(`${req.path}${req.output_filename}`);

/** clip plays (the last one cut short), complete cycles, and whether the last cycle is cut short */
function expectedCoverage(durations: number[], audio: number) {
  let t = 0;
  let segments = 0;
  while (t < audio - 1e-6) t += durations[segments++ % durations.length];
  const cycle = durations.reduce((a, b) => a + b, 0);
  const full = Math.floor(audio / cycle);
  return { total_segments: segments, full_cycles: full, partial_cycle: audio - full * cycle > 1e-6 };
}

describe('concat_video_audio', () => {
  it('normalize=true: 1080p 30 fps with bars, clips repeat until the narration ends, the narration copied', async () => {
    expect(narration).toBeGreaterThan(3.5); // the clips must repeat
    const req = request(['wide.mp4', 'square.mp4']);
    const outcome = await rig.run('concat_video_audio', req);
    const file = out(req);
    const s = await streams(file);
    expect(s.map((x) => x.codec_type)).toEqual(['video', 'audio']);
    expect([s[0].width, s[0].height, s[0].avg_frame_rate]).toEqual([1920, 1080, '30/1']);
    expect(Math.abs((await streamDuration(file, 'video')) - narration)).toBeLessThanOrEqual(1 / 30 + 1e-6);
    // the clips' tones are gone: the audio is the narration, packet for packet
    const narrationPackets = await packetHashes(join(rig.mediaDir, 'narration.mp3'), '0:a:0');
    const outPackets = await packetHashes(file, '0:a:0');
    expect(outPackets).toEqual(narrationPackets.slice(0, outPackets.length));
    expect(outPackets.length).toBeGreaterThanOrEqual(narrationPackets.length - 1);
    // the 4:3 clip (2.0–3.5 s) is pillarboxed, the 16:9 one fills the frame
    const bar = await frame(file, Math.round(2.7 * 30), { x: 20, y: 500, w: 16, h: 16 });
    expect(Math.max(...bar)).toBeLessThan(20);
    const full = await frame(file, Math.round(0.5 * 30), { x: 20, y: 500, w: 16, h: 16 });
    expect(Math.max(...full)).toBeGreaterThan(40);

    const wide = await streamDuration(join(rig.mediaDir, 'wide.mp4'), 'video');
    const square = await streamDuration(join(rig.mediaDir, 'square.mp4'), 'video');
    expect(outcome.result).toMatchObject({ video_url: expect.stringContaining(req.output_filename), pathRaiz: 'canal/t2/', ...expectedCoverage([wide, square], narration) });
    expect(outcome.result.audio_duration).toBeCloseTo(narration, 2);
  });

  it('normalize=false with matching clips: no encode at all, cut at the narration\'s end', async () => {
    const req = request(['wide.mp4', 'wide2.mp4'], { normalize: false });
    const outcome = await rig.run('concat_video_audio', req);
    const file = out(req);
    expect(outcome.codec).toBe('copy');
    const a = await decodedFrameHashes(join(rig.mediaDir, 'wide.mp4'));
    const b = await decodedFrameHashes(join(rig.mediaDir, 'wide2.mp4'));
    const pictures = await decodedFrameHashes(file);
    const cycle = [...a, ...b];
    expect(pictures).toEqual([...cycle, ...cycle, ...cycle].slice(0, pictures.length));
    expect(Math.abs((await streamDuration(file, 'video')) - narration)).toBeLessThanOrEqual(1 / 25 + 1e-6);
  });

  it('a silent narration fails naming audio_url', async () => {
    await expectFailure(rig.run('concat_video_audio', { ...request(['wide.mp4']), audio_url: rig.files.url('silent.mp3') }), 'BadMedia', 'audio_url', /silent/);
  });
});
