/**
 * Ken Burns motion as a viewer sees it: each zoom type moves the way its name says, every frame, and
 * smoothly. Motion is measured on the decoded output (tests/helpers/motion.ts); the seed's whole-pixel
 * zoompan, measured the same way, shows what jitter looks like to the measure.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClip, PAN_ZOOM, ZOOM_END } from '../../media/kenburns/clip';
import { clipMotion, decodeGray, frameJitterStd, type FrameMotion } from '../helpers/motion';
import { ffmpeg } from '../helpers/media';
import { createMediaRig, type MediaRig } from './local-run';

const W = 640;
const H = 360;
const SECONDS = 2;
/** whole-frame jitter, px; zoompan scores ~1 on the same measure */
const SMOOTH = 0.1;

let rig: MediaRig;

beforeAll(async () => {
  rig = await createMediaRig();
  // soft random blobs: every patch has texture to track, and little for the encoder to smear
  await ffmpeg(['-f', 'lavfi', '-i', 'color=gray:size=96x54,format=gray,noise=alls=100:allf=u:all_seed=7', '-vf', 'scale=1920:1080:flags=bicubic', '-frames:v', '1', '-q:v', '2', join(rig.mediaDir, 'blobs.jpg')]);
});

afterAll(async () => {
  await rig?.close();
});

async function motionOf(zoomType: string): Promise<{ frames: FrameMotion[]; jitter: number }> {
  const outcome = await rig.run('img2vid', {
    webhook_url: 'https://example.com/hook',
    path: 'motion/',
    images: [{ id: zoomType, image_url: rig.files.url('blobs.jpg'), duracao: SECONDS }],
    zoom_types: [zoomType],
    resolution: `${W}x${H}`,
  });
  const video = await decodeGray(rig.stored((outcome.result as { videos: { s3_key: string }[] }).videos[0].s3_key));
  expect(video.frames).toHaveLength(SECONDS * 24);
  const { frames } = clipMotion(video, { cols: 4, rows: 3, margin: 0.15, radius: 16, search: 6 });
  return { frames, jitter: frameJitterStd(frames, W, H) };
}

const product = (xs: number[]) => xs.reduce((p, x) => p * x, 1);
const sum = (xs: number[]) => xs.reduce((p, x) => p + x, 0);

describe('Ken Burns motion', () => {
  it('zoomin: the picture grows every frame, about the centre, to ZOOM_END', async () => {
    const { frames, jitter } = await motionOf('zoomin');
    expect(Math.min(...frames.map((f) => f.scale))).toBeGreaterThan(1.001);
    expect(product(frames.map((f) => f.scale))).toBeCloseTo(ZOOM_END, 1);
    expect(Math.abs(sum(frames.map((f) => f.tx)))).toBeLessThan(2);
    expect(Math.abs(sum(frames.map((f) => f.ty)))).toBeLessThan(2);
    expect(jitter).toBeLessThan(SMOOTH);
  });

  it('zoomout: the picture shrinks every frame back to the cover crop', async () => {
    const { frames, jitter } = await motionOf('zoomout');
    expect(Math.max(...frames.map((f) => f.scale))).toBeLessThan(0.999);
    expect(product(frames.map((f) => f.scale))).toBeCloseTo(1 / ZOOM_END, 1);
    expect(jitter).toBeLessThan(SMOOTH);
  });

  it('zoompanright / zoompanleft: zoom in while the view travels right / left', async () => {
    const right = await motionOf('zoompanright');
    const left = await motionOf('zoompanleft');
    for (const m of [right, left]) {
      expect(Math.min(...m.frames.map((f) => f.scale))).toBeGreaterThan(1.001);
      expect(m.jitter).toBeLessThan(SMOOTH);
    }
    // the view heads right, so the picture slides left; anchored at the right edge, each frame moves
    // the centre by (W/2)·(scale − 1), which adds up to (W/2)·ln(ZOOM_END)
    expect(Math.max(...right.frames.map((f) => f.tx))).toBeLessThan(0);
    expect(Math.min(...left.frames.map((f) => f.tx))).toBeGreaterThan(0);
    expect(sum(right.frames.map((f) => f.tx))).toBeCloseTo((-W / 2) * Math.log(ZOOM_END), -1);
    expect(sum(left.frames.map((f) => f.tx))).toBeCloseTo((W / 2) * Math.log(ZOOM_END), -1);
  });

  it('panup / pandown: the view travels up / down at a fixed zoom, at an even pace', async () => {
    const up = await motionOf('panup');
    const down = await motionOf('pandown');
    const travel = (PAN_ZOOM - 1) * H;
    for (const [m, sign] of [
      [up, 1],
      [down, -1],
    ] as const) {
      // the view going up moves the picture down the screen
      expect(Math.min(...m.frames.map((f) => sign * f.ty))).toBeGreaterThan(0);
      expect(sum(m.frames.map((f) => f.ty))).toBeCloseTo(sign * travel, -1);
      expect(Math.max(...m.frames.map((f) => Math.abs(f.scale - 1)))).toBeLessThan(0.002);
      expect(Math.max(...m.frames.map((f) => Math.abs(f.tx)))).toBeLessThan(0.3);
      // constant speed: every step within a fraction of a pixel of the average (the encoder's own
      // noise on this measure is about ±0.2 px per frame)
      const mean = travel / m.frames.length;
      expect(Math.max(...m.frames.map((f) => Math.abs(sign * f.ty - mean)))).toBeLessThan(0.35);
      expect(m.jitter).toBeLessThan(SMOOTH);
    }
  });

  it('static: nothing moves', async () => {
    const { frames } = await motionOf('static');
    expect(Math.max(...frames.map((f) => Math.max(Math.abs(f.tx), Math.abs(f.ty), Math.abs(f.scale - 1) * W)))).toBeLessThan(0.05);
  });

  it('rendered losslessly, a zoom strays less than 0.05 px from a smooth path (the recipe itself)', async () => {
    // without the encoder's noise the measure sees the method's own accuracy
    const frames = SECONDS * 24;
    const recipe = buildClip({ zoomType: 'zoomin', frames, fps: 24, width: W, height: H });
    const commands = join(rig.mediaDir, 'lossless.cmd');
    await writeFile(commands, recipe.commands!);
    const out = join(rig.mediaDir, 'lossless.mkv');
    await ffmpeg(['-i', join(rig.mediaDir, 'blobs.jpg'), '-filter_complex', recipe.graph.replace('{cmd}', commands), '-map', '[v]', '-frames:v', String(frames), '-c:v', 'ffv1', out]);
    const motion = clipMotion(await decodeGray(out), { cols: 4, rows: 3, margin: 0.15, radius: 16, search: 6 });
    expect(frameJitterStd(motion.frames, W, H)).toBeLessThan(0.05);
    expect(recipe.maxError).toBeLessThan(0.25);
  });

  it('the measure sees whole-pixel stair steps (FFmpeg zoompan) as jitter', async () => {
    const out = join(rig.mediaDir, 'zoompan.mp4');
    const frames = SECONDS * 24;
    await ffmpeg(['-loop', '1', '-i', join(rig.mediaDir, 'blobs.jpg'), '-vf', `scale=${W}:${H},zoompan=z='1+${ZOOM_END - 1}*on/${frames - 1}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':d=${frames}:s=${W}x${H}:fps=24`, '-frames:v', String(frames), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', out]);
    const motion = clipMotion(await decodeGray(out), { cols: 4, rows: 3, margin: 0.15, radius: 16, search: 6 });
    expect(frameJitterStd(motion.frames, W, H)).toBeGreaterThan(3 * SMOOTH);
  });
});
