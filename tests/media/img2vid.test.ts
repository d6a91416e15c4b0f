/**
 * img2vid end to end (schema → plan → local executor → storage) on pictures made at test time:
 * durations to the frame, sizes, no audio, cover crops of any aspect, the contract's result shapes.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { img2vidRequest } from '../../api/schemas/media';
import { img2vid } from '../../media/operations/img2vid';
import type { PrepareEnv } from '../../media/operations/types';
import { ffmpeg } from '../helpers/media';
import { createMediaRig, type MediaRig } from './local-run';
import { expectFailure, meanAbsDiff, streams } from './measure';

let rig: MediaRig;

beforeAll(async () => {
  rig = await createMediaRig();
  const dir = rig.mediaDir;
  const picture = (size: string) => `mandelbrot=size=${size}:maxiter=120:start_scale=1.2`;
  await ffmpeg(['-f', 'lavfi', '-i', picture('1280x720'), '-frames:v', '1', '-q:v', '3', join(dir, 'wide16x9.jpg')]);
  await ffmpeg(['-f', 'lavfi', '-i', picture('900x1200'), '-frames:v', '1', join(dir, 'portrait.png')]);
  await ffmpeg(['-f', 'lavfi', '-i', picture('2000x400'), '-frames:v', '1', '-q:v', '3', join(dir, 'panorama.jpg')]);
  await ffmpeg(['-f', 'lavfi', '-i', picture('400x2000'), '-frames:v', '1', '-q:v', '3', join(dir, 'tower.jpg')]);
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240', '-frames:v', '1', '-c:v', 'libwebp', join(dir, 'small.webp')]);
  await ffmpeg(['-f', 'lavfi', '-i', 'sine=duration=1', join(dir, 'sound.mp3')]);
  // phone photos: pixels stored sideways, with the EXIF orientation that turns them upright
  await ffmpeg(['-f', 'lavfi', '-i', picture('900x1200'), '-frames:v', '1', '-q:v', '2', join(dir, 'upright.jpg')]);
  for (const [orientation, transpose] of [[6, 'cclock'], [8, 'clock']] as const) {
    const stored = join(dir, `stored-${orientation}.jpg`);
    await ffmpeg(['-i', join(dir, 'upright.jpg'), '-vf', `transpose=${transpose}`, '-q:v', '2', stored]);
    await writeFile(join(dir, `exif-${orientation}.jpg`), withExifOrientation(await readFile(stored), orientation));
  }
});

/** the JPEG with an APP1 Exif segment holding one tag, Orientation (0x0112), right after SOI */
function withExifOrientation(jpeg: Buffer, orientation: number): Buffer {
  const tiff = Buffer.alloc(26);
  tiff.write('II*\0', 0, 'latin1'); // little-endian TIFF header
  tiff.writeUInt32LE(8, 4); // IFD0 offset
  tiff.writeUInt16LE(1, 8); // one entry
  tiff.writeUInt16LE(0x0112, 10);
  tiff.writeUInt16LE(3, 12); // SHORT
  tiff.writeUInt32LE(1, 14);
  tiff.writeUInt16LE(orientation, 18);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const header = Buffer.from([0xff, 0xe1, 0, 0]);
  header.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, body, jpeg.subarray(2)]);
}

afterAll(async () => {
  await rig?.close();
});

function request(images: { id: string | number; file: string; duracao: number }[], extra: Record<string, unknown> = {}) {
  return {
    webhook_url: 'https://example.com/hook',
    path: 'Canal/Titulo/videos/temp/',
    images: images.map((i) => ({ id: i.id, image_url: rig.files.url(i.file), duracao: i.duracao })),
    resolution: '640x360',
    ...extra,
  };
}

type Video = { id: string; video_url: string; url: string; filename: string; s3_key: string; zoom_type: string; duration: number; size_mb: number };

/**
 * The first frame of a video or picture as an 8× smaller RGB thumbnail: compression noise averages
 * out, while a shifted, stretched or wrongly cropped picture still differs everywhere. (RGB first, at
 * full size: swscale's combined YUV→RGB downscale ignores the BT.709 tag.)
 */
async function thumbnail(path: string, w: number, h: number, vf = 'null'): Promise<Buffer> {
  const { stdout } = await promisify(execFile)('ffmpeg', ['-v', 'error', '-i', path, '-vf', `${vf},format=rgb24,scale=${w / 8}:${h / 8}:flags=area`, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { encoding: 'buffer' });
  return stdout;
}

/** the cover crop FFmpeg itself makes of `file` at w×h: the reference for "no distortion" */
function coverReference(file: string, w: number, h: number): Promise<Buffer> {
  return thumbnail(join(rig.mediaDir, file), w, h, `scale=${w}:${h}:force_original_aspect_ratio=increase:flags=lanczos,crop=${w}:${h}`);
}

describe('img2vid', () => {
  it('makes one silent clip per image, each exactly its own duration, in request order', async () => {
    const images = [
      { id: 'cena 1', file: 'wide16x9.jpg', duracao: 1 },
      { id: 7, file: 'portrait.png', duracao: 0.5 },
      { id: 'c/3', file: 'small.webp', duracao: 1.3 },
    ];
    const outcome = await rig.run('img2vid', request(images, { zoom_types: ['zoomin', 'panup', 'zoompanleft'] }));
    expect(outcome.codec).toBe('libx264');
    const result = outcome.result as { videos: Video[]; pathRaiz: string };
    expect(result.pathRaiz).toBe('Canal/Titulo/');
    expect(result.videos.map((v) => v.id)).toEqual(['cena 1', '7', 'c/3']);
    expect(result.videos.map((v) => v.filename)).toEqual(['cena_1_video.mp4', '7_video.mp4', 'c_3_video.mp4']);
    expect(result.videos.map((v) => v.zoom_type).sort()).toEqual(['panup', 'zoomin', 'zoompanleft']);

    for (const [i, video] of result.videos.entries()) {
      const frames = Math.round(images[i].duracao * 24);
      expect(video).toMatchObject({ s3_key: `Canal/Titulo/videos/temp/${video.filename}`, url: video.video_url, duration: Math.round((frames / 24) * 1000) / 1000 });
      expect(video.video_url).toContain(`/files/Canal/Titulo/videos/temp/${encodeURIComponent(video.filename)}`);
      const file = rig.stored(video.s3_key);
      const s = await streams(file);
      expect(s.map((x) => x.codec_type)).toEqual(['video']);
      expect(s[0]).toMatchObject({ codec_name: 'h264', width: 640, height: 360, avg_frame_rate: '24/1', nb_frames: String(frames) });
      expect(Math.abs(Number(s[0].duration) - images[i].duracao)).toBeLessThanOrEqual(1 / 24);
      expect(video.size_mb).toBeGreaterThan(0);
    }
  });

  it('takes other frame rates and 9:16 output', async () => {
    const outcome = await rig.run('img2vid', request([{ id: 'v', file: 'wide16x9.jpg', duracao: 0.7 }], { resolution: '360x640', fps: 30, zoom_types: ['zoomout'] }));
    const video = (outcome.result as { videos: Video[] }).videos[0];
    const s = (await streams(rig.stored(video.s3_key)))[0];
    expect(s).toMatchObject({ width: 360, height: 640, avg_frame_rate: '30/1', nb_frames: '21' });
  });

  it('cover-crops very wide and very tall pictures without distorting them', async () => {
    const outcome = await rig.run(
      'img2vid',
      request(
        [
          { id: 'pano', file: 'panorama.jpg', duracao: 0.5 },
          { id: 'tower', file: 'tower.jpg', duracao: 0.5 },
        ],
        { zoom_types: ['static'] },
      ),
    );
    const videos = (outcome.result as { videos: Video[] }).videos;
    for (const [file, video] of [['panorama.jpg', videos[0]], ['tower.jpg', videos[1]]] as const) {
      const reference = await coverReference(file, 640, 360);
      expect(meanAbsDiff(await thumbnail(rig.stored(video.s3_key), 640, 360), reference)).toBeLessThan(3);
      // what a wrong answer would score: the whole picture squeezed into the frame, or the crop 8 px off
      const source = join(rig.mediaDir, file);
      expect(meanAbsDiff(await thumbnail(source, 640, 360, 'scale=640:360'), reference)).toBeGreaterThan(15);
      const shifted = `scale=656:376:force_original_aspect_ratio=increase:flags=lanczos,crop=640:360:0:0`;
      expect(meanAbsDiff(await thumbnail(source, 640, 360, shifted), reference)).toBeGreaterThan(6);
    }
  });

  it('turns phone photos upright by their EXIF orientation', async () => {
    const outcome = await rig.run(
      'img2vid',
      request(
        [
          { id: 'o6', file: 'exif-6.jpg', duracao: 0.5 },
          { id: 'o8', file: 'exif-8.jpg', duracao: 0.5 },
        ],
        { resolution: '360x640', zoom_types: ['static'] },
      ),
    );
    const videos = (outcome.result as { videos: Video[] }).videos;
    const upright = await coverReference('upright.jpg', 360, 640);
    for (const [orientation, video] of [[6, videos[0]], [8, videos[1]]] as const) {
      expect(meanAbsDiff(await thumbnail(rig.stored(video.s3_key), 360, 640), upright)).toBeLessThan(3);
      // the stored pixels taken as they are would be a sideways picture
      expect(meanAbsDiff(await coverReference(`stored-${orientation}.jpg`, 360, 640), upright)).toBeGreaterThan(15);
    }
  });

  it('starts a zoom on the same cover crop, for portrait output too', async () => {
    const outcome = await rig.run('img2vid', request([{ id: 'z', file: 'wide16x9.jpg', duracao: 0.5 }], { resolution: '360x640', zoom_types: ['zoomin'] }));
    const out = rig.stored((outcome.result as { videos: Video[] }).videos[0].s3_key);
    expect(meanAbsDiff(await thumbnail(out, 360, 640), await coverReference('wide16x9.jpg', 360, 640))).toBeLessThan(3);
  });

  it('fails naming the image that is not a picture', async () => {
    await expectFailure(
      rig.run('img2vid', request([
        { id: 'ok', file: 'wide16x9.jpg', duracao: 0.5 },
        { id: 'song', file: 'sound.mp3', duracao: 0.5 },
      ])),
      'BadMedia',
      'images[1].image_url',
      /not an image/,
    );
  });

  it('refuses output sizes yuv420p cannot hold, at validation time', async () => {
    const parsed = img2vidRequest.safeParse(request([{ id: 'a', file: 'wide16x9.jpg', duracao: 0.5 }], { resolution: '641x360' }));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['resolution: width and height must be even, from 128 to 3840']);
  });
});

describe('img2vid plan and result shapes', () => {
  const env = (jobId: string): PrepareEnv => ({
    jobId,
    processor: 'GPU',
    signal: new AbortController().signal,
    probeInput: () => Promise.reject(new Error('img2vid does not probe')),
    fetchText: () => Promise.reject(new Error('img2vid reads no text inputs')),
  });
  const body = (n: number, zoomTypes: string[]) =>
    img2vidRequest.parse({
      webhook_url: 'https://example.com/hook',
      path: 'c/t/videos/',
      images: Array.from({ length: n }, (_, i) => ({ id: `i${i}`, image_url: `https://img.example.com/${i % 3}.jpg`, duracao: 1 })),
      zoom_types: zoomTypes,
    });

  it('gives each zoom type ⌊n/k⌋ images, the first n mod k one more, shuffled the same way on a retry', async () => {
    const req = body(8, ['zoomin', 'zoomout', 'panup']);
    const first = await img2vid.prepare(req, env('job-a'));
    const again = await img2vid.prepare(req, env('job-a'));
    const types = (first.meta.clips as { zoomType: string }[]).map((c) => c.zoomType);
    const count = (t: string) => types.filter((x) => x === t).length;
    expect([count('zoomin'), count('zoomout'), count('panup')]).toEqual([3, 3, 2]);
    expect(again).toEqual(first);
    const others = await Promise.all(['job-b', 'job-c', 'job-d'].map((id) => img2vid.prepare(req, env(id))));
    expect(others.some((o) => JSON.stringify(o.meta) !== JSON.stringify(first.meta))).toBe(true);
    // three distinct URLs among eight images: fetched and checked once each
    expect(first.plan.inputs.map((i) => i.label)).toEqual(['images[0].image_url', 'images[1].image_url', 'images[2].image_url']);
    expect(first.plan.steps).toHaveLength(8);
  });

  it('answers GPU jobs with success/message/total/processed as well as the videos', async () => {
    const req = body(2, ['zoomin']);
    const prepared = await img2vid.prepare(req, env('job-gpu'));
    const outputs = { 'video-0': { key: 'c/t/videos/i0_video.mp4', url: 'https://s3/x0', bytes: 1048576 }, 'video-1': { key: 'c/t/videos/i1_video.mp4', url: 'https://s3/x1', bytes: 524288 } };
    expect(img2vid.shape(req, prepared.meta, outputs, 'GPU')).toEqual({
      success: true,
      message: 'Images converted to videos successfully',
      total: 2,
      processed: 2,
      videos: [
        { id: 'i0', video_url: 'https://s3/x0', url: 'https://s3/x0', filename: 'i0_video.mp4', s3_key: 'c/t/videos/i0_video.mp4', zoom_type: 'zoomin', duration: 1, size_mb: 1 },
        { id: 'i1', video_url: 'https://s3/x1', url: 'https://s3/x1', filename: 'i1_video.mp4', s3_key: 'c/t/videos/i1_video.mp4', zoom_type: 'zoomin', duration: 1, size_mb: 0.5 },
      ],
      pathRaiz: 'c/t/',
    });
  });
});
