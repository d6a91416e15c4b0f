/**
 * Photo-like pictures for the img2vid benchmarks: fractal detail with a fine grain everywhere (so the
 * encoder has real work), in three shapes: landscape, 4:3 and portrait.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PHOTO_SHAPES = [
  ['landscape', '1920x1080', 0.8],
  ['classic', '1600x1200', 1.1],
  ['portrait', '1080x1350', 1.6],
] as const;

export async function makePhotos(dir: string): Promise<string[]> {
  const photos: string[] = [];
  for (const [name, size, scale] of PHOTO_SHAPES) {
    const [w, h] = size.split('x').map(Number);
    const file = join(dir, `${name}.jpg`);
    await run('ffmpeg', [
      '-hide_banner', '-v', 'error', '-y',
      '-f', 'lavfi', '-i', `mandelbrot=size=${size}:maxiter=300:start_scale=${scale}`,
      '-f', 'lavfi', '-i', `color=gray:size=${Math.round(w / 8)}x${Math.round(h / 8)},format=gray,noise=alls=100:allf=u:all_seed=${photos.length + 1}`,
      '-filter_complex', `[1:v]scale=${w}:${h}:flags=bicubic,format=yuv444p[grain];[0:v]format=yuv444p[a];[a][grain]blend=all_mode=overlay:all_opacity=0.35,format=yuvj420p`,
      '-frames:v', '1', '-q:v', '3', file,
    ]);
    photos.push(file);
  }
  return photos;
}
