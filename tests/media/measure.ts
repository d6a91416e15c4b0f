/** What a viewer or listener would notice, measured with ffmpeg/ffprobe on real output files. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'vitest';

const run = promisify(execFile);

export interface StreamInfo {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  duration?: string;
  nb_frames?: string;
  bit_rate?: string;
  sample_rate?: string;
}

export async function streams(path: string): Promise<StreamInfo[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', path]);
  return (JSON.parse(stdout) as { streams: StreamInfo[] }).streams;
}

export async function streamDuration(path: string, type: 'video' | 'audio'): Promise<number> {
  const s = (await streams(path)).find((x) => x.codec_type === type);
  if (!s?.duration) throw new Error(`${path} has no ${type} duration`);
  return Number(s.duration);
}

/** MD5 of every packet of one stream, in order: equal lists mean the stream was copied bit for bit. */
export async function packetHashes(path: string, stream: '0:v:0' | '0:a:0'): Promise<string[]> {
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', path, '-map', stream, '-c', 'copy', '-f', 'framemd5', '-'], { maxBuffer: 64 * 1024 * 1024 });
  return framemd5Hashes(stdout);
}

/** the 6th column of framemd5 lines (side data, e.g. AAC skip samples, may follow it) */
function framemd5Hashes(text: string): string[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(',')[5].trim());
}

/**
 * MD5 of every decoded frame: equal lists mean the pictures are identical, which no re-encode achieves.
 * (A stream-copy join may add parameter sets to key frames, so their packet bytes can differ.)
 */
export async function decodedFrameHashes(path: string): Promise<string[]> {
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', path, '-map', '0:v:0', '-f', 'framemd5', '-'], { maxBuffer: 64 * 1024 * 1024 });
  return framemd5Hashes(stdout);
}

export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** RGB pixels of frame number `n` (0-based, decode order of the output), optionally cropped. */
export async function frame(path: string, n: number, region?: Region): Promise<Buffer> {
  const filters = [`select=eq(n\\,${n})`];
  if (region) filters.push(`crop=${region.w}:${region.h}:${region.x}:${region.y}`);
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', path, '-vf', filters.join(','), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  if (stdout.length === 0) throw new Error(`${path} has no frame ${n}`);
  return stdout;
}

export function meanAbsDiff(a: Buffer, b: Buffer): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

/** Pixels (of an RGB buffer) close to a colour, with the mean x of those pixels (width of the buffer given). */
export function colourPixels(rgb: Buffer, width: number, colour: [number, number, number], tolerance = 60): { count: number; meanX: number } {
  let count = 0;
  let sumX = 0;
  for (let i = 0; i < rgb.length; i += 3) {
    if (Math.abs(rgb[i] - colour[0]) + Math.abs(rgb[i + 1] - colour[1]) + Math.abs(rgb[i + 2] - colour[2]) <= tolerance) {
      count++;
      sumX += (i / 3) % width;
    }
  }
  return { count, meanX: count ? sumX / count : NaN };
}

/** RMS level (dBFS) of [start, start+duration) after an optional filter chain (e.g. a low-pass that isolates the music). */
export async function rmsDb(path: string, start: number, duration: number, filter?: string): Promise<number> {
  const chain = [`atrim=start=${start}:duration=${duration}`, ...(filter ? [filter] : []), 'astats=measure_perchannel=none'].join(',');
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', path, '-map', '0:a:0', '-af', chain, '-f', 'null', '-']);
  const m = /RMS level dB:\s*(-?inf|-?[\d.]+)/.exec(stderr.split('Overall').pop() ?? '');
  if (!m) throw new Error(`no astats output for ${path}`);
  return m[1].endsWith('inf') ? -Infinity : Number(m[1]);
}

/** EBU R128 integrated loudness, LUFS. */
export async function integratedLufs(path: string): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', path, '-map', '0:a:0', '-af', 'ebur128', '-f', 'null', '-']);
  const summary = stderr.split('Summary:').pop() ?? '';
  return Number(/I:\s*(-?[\d.]+) LUFS/.exec(summary)![1]);
}

/** Where speech is: [start, end] intervals of a narration between pauses of 1 s or more (silencedetect). */
export async function speechWindows(path: string): Promise<[number, number][]> {
  const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', path, '-af', 'silencedetect=n=-45dB:d=1', '-f', 'null', '-']);
  const total = Number(/Duration: (\d+):(\d+):([\d.]+)/.exec(stderr)!.slice(1).reduce((a, v) => a * 60 + Number(v), 0));
  const silences = [...stderr.matchAll(/silence_start: ([\d.]+)[\s\S]*?silence_end: ([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  const speech: [number, number][] = [];
  let t = 0;
  // the header's duration is rounded to 10 ms: ignore slivers shorter than a syllable
  for (const [s, e] of silences) {
    if (s - t > 0.2) speech.push([t, s]);
    t = e;
  }
  if (total - t > 0.2) speech.push([t, total]);
  return speech;
}

/** The operation failed as BadMedia (or BadInput) with a message naming `label`. */
export async function expectFailure(promise: Promise<unknown>, type: 'BadMedia' | 'BadInput', label: string, reason?: RegExp): Promise<string> {
  const err = await promise.then(
    () => {
      throw new Error('expected the operation to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  const failure = err as ApplicationFailure;
  expect(failure.type).toBe(type);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain(label);
  if (reason) expect(failure.message).toMatch(reason);
  return failure.message;
}
