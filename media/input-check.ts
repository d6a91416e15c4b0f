/**
 * Checks that a downloaded input is what the plan expects (plan input `kind`) before any step uses
 * it, so a bad file fails the job with a message naming the input instead of an ffmpeg error.
 */
import { readFile, stat } from 'node:fs/promises';
import { badInput, badMedia } from '../common/errors';
import { FfmpegError, runFfmpeg } from './ffmpeg';
import { audioStream, probe, ProbeError, videoStream, type ProbeResult } from './ffprobe';
import { readImageHeader, SUPPORTED_IMAGE_FORMATS } from './image-header';
import type { PlanInput } from './plan';

/** Largest image or video frame accepted: 100 MP covers every phone and camera photo. */
export const MAX_PIXELS = 100_000_000;

/**
 * ffprobe an input, refusing images whose header declares too many pixels first (ffprobe may decode
 * a frame to learn its size, and that allocation is exactly what a decompression bomb is after).
 */
export async function probeInputFile(path: string, label: string, signal: AbortSignal): Promise<ProbeResult> {
  const header = await readImageHeader(path);
  if (header) assertPixelLimit(header.width, header.height, label);
  try {
    return await probe(path, signal);
  } catch (err) {
    if (err instanceof ProbeError) throw badMedia(`${label}: not a readable media file (${err.message})`);
    throw err;
  }
}

export async function checkInputKind(path: string, kind: PlanInput['kind'], label: string, signal: AbortSignal): Promise<void> {
  switch (kind) {
    case 'image':
      return checkImage(path, label, signal);
    case 'json':
      try {
        JSON.parse(await readFile(path, 'utf8'));
      } catch {
        throw badMedia(`${label}: not a valid JSON file`);
      }
      return;
    case 'video': {
      const video = videoStream(await probeInputFile(path, label, signal));
      if (!video?.width || !video.height) throw badMedia(`${label}: the file has no video stream`);
      assertPixelLimit(video.width, video.height, label);
      return;
    }
    case 'audio':
      if (!audioStream(await probeInputFile(path, label, signal))) throw badMedia(`${label}: the file has no audio stream`);
      return;
    case 'subtitle': {
      const streams = (await probeInputFile(path, label, signal)).streams;
      if (!streams.some((s) => s.codecType === 'subtitle')) throw badMedia(`${label}: not a subtitle file (SRT, ASS or WebVTT)`);
      return;
    }
  }
}

/** Header first (format, pixel count), then a strict decode so truncated or corrupt files fail here. */
async function checkImage(path: string, label: string, signal: AbortSignal): Promise<void> {
  const header = await readImageHeader(path);
  if (!header) throw badMedia(`${label}: not an image (expected ${SUPPORTED_IMAGE_FORMATS})`);
  if (!header.width || !header.height) throw badMedia(`${label}: the image header declares an empty picture`);
  assertPixelLimit(header.width, header.height, label);
  try {
    // explode + xerror: a missing end of image or a broken chunk is an error, not a warning
    await runFfmpeg(['-v', 'error', '-xerror', '-err_detect', 'explode', '-i', path, '-frames:v', '1', '-f', 'null', '-'], { signal });
  } catch (err) {
    if (err instanceof FfmpegError) {
      const reason = err.stderrTail.split('\n').filter(Boolean).slice(-2).join(' | ') || `exit code ${err.exitCode}`;
      throw badMedia(`${label}: the ${header.format.toUpperCase()} image could not be decoded, it is truncated or corrupt (${reason})`);
    }
    throw err;
  }
}

function assertPixelLimit(width: number, height: number, label: string): void {
  if (width * height > MAX_PIXELS) {
    throw badMedia(`${label}: picture is ${width}x${height} (${Math.round((width * height) / 1e6)} megapixels), over the ${MAX_PIXELS / 1e6}-megapixel limit`);
  }
}

/** Caption and words files are read whole into memory: keep that bounded. */
const MAX_TEXT_BYTES = 50 * 1024 * 1024;

/** Reads a downloaded text input (SRT, words JSON) as UTF-8, without a byte-order mark. */
export async function readTextInput(path: string, label: string): Promise<string> {
  const { size } = await stat(path);
  if (size > MAX_TEXT_BYTES) throw badInput(`${label}: text file is ${size} bytes, over the ${MAX_TEXT_BYTES}-byte limit`);
  return (await readFile(path, 'utf8')).replace(/^\uFEFF/, '');
}
