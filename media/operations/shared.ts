/**
 * Pieces the video/audio operations share: encoder presets, output specs, input facts with the
 * BadMedia checks, the concat-demuxer list, and the contract's result shapes.
 */
import { extname } from 'node:path';
import { badMedia } from '../../common/errors';
import type { StoredObject } from '../../common/storage';
import { joinKey, pathRaiz } from '../../common/storage/keys';
import { FfmpegError, runFfmpeg } from '../ffmpeg';
import { audioStream, durationOf, videoStream, type ProbeResult, type ProbeStream } from '../ffprobe';
import type { PlanOutput } from '../plan';
import type { PrepareEnv } from './types';

/** {venc}: the seed's settings (NVENC p4 cq 23, else libx264 crf 23); executors pick one. */
export const VIDEO_ENCODERS: Record<string, string[]> = {
  libx264: ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p'],
  h264_nvenc: ['-c:v', 'h264_nvenc', '-preset', 'p4', '-rc', 'vbr', '-cq', '23', '-b:v', '0', '-pix_fmt', 'yuv420p'],
};

/**
 * AAC 192k (contract), at 48 kHz: TTS voices are often 22–24 kHz mono, where AAC cannot reach 192k.
 * The "fast" coder is ~2× quicker than the default two-loop search; at this rate it stays transparent.
 */
export function aac192k(sampleRate = 48000): string[] {
  return ['-c:a', 'aac', '-aac_coder', 'fast', '-b:a', '192k', '-ar', String(sampleRate)];
}
export const AAC_192K = aac192k();

/** Video outputs are MP4 whatever the file name says (as in the seed); moov first for web playback. */
export const MP4_OUT = ['-f', 'mp4', '-movflags', '+faststart'];

/** Codecs an MP4 holds as they are, so they can be stream-copied. */
const MP4_VIDEO_CODECS = new Set(['h264', 'hevc', 'av1', 'vp9', 'mpeg4']);
const MP4_AUDIO_CODECS = new Set(['aac', 'mp3', 'alac', 'ac3', 'eac3', 'opus', 'flac']);

/** Video streams with equal signatures can be joined by stream copy (concat demuxer). */
export function videoSignature(s: ProbeStream): string {
  return [s.codecName, s.width, s.height, s.pixFmt, s.profile, s.fps?.toFixed(3)].join('|');
}

export function mp4CanCopyVideo(s: ProbeStream): boolean {
  return MP4_VIDEO_CODECS.has(s.codecName ?? '');
}

export function mp4CanCopyAudio(s: ProbeStream): boolean {
  return MP4_AUDIO_CODECS.has(s.codecName ?? '');
}

/** A plan output; on the GPU path with the URL the worker uploads it to. */
export async function planOutput(env: PrepareEnv, id: string, key: string, contentType: string): Promise<PlanOutput> {
  const upload = env.uploadTarget ? await env.uploadTarget(key, contentType) : undefined;
  return { id, key, contentType, ...(upload ? { upload } : {}) };
}

export function outputKey(request: { path: string; output_filename: string }): string {
  return joinKey(request.path, request.output_filename);
}

export interface MediaFacts {
  stream: ProbeStream;
  /** seconds */
  duration: number;
}

function durationFor(p: ProbeResult, s: ProbeStream): number | undefined {
  const d = s.duration ?? durationOf(p);
  return d !== undefined && Number.isFinite(d) ? d : undefined;
}

/** The first video stream, refusing what cannot be used (no video, unknown codec, zero length). */
export function requireVideo(p: ProbeResult, label: string): MediaFacts {
  const stream = videoStream(p);
  if (!stream) throw badMedia(`${label}: the file has no video stream`);
  if (!stream.codecName) throw badMedia(`${label}: the video codec is not supported (ffmpeg has no decoder for it)`);
  if (!stream.width || !stream.height) throw badMedia(`${label}: the video stream has no picture size`);
  const duration = durationFor(p, stream);
  if (!duration || duration <= 0) throw badMedia(`${label}: the video is empty (zero length)`);
  return { stream, duration };
}

/** The first audio stream, refusing what cannot be used (no audio, unknown codec, zero length). */
export function requireAudio(p: ProbeResult, label: string): MediaFacts {
  const stream = audioStream(p);
  if (!stream) throw badMedia(`${label}: the file has no audio stream`);
  if (!stream.codecName) throw badMedia(`${label}: the audio codec is not supported (ffmpeg has no decoder for it)`);
  const duration = durationFor(p, stream);
  if (!duration || duration <= 0) throw badMedia(`${label}: the audio is empty (zero length)`);
  return { stream, duration };
}

/**
 * Reads every packet of the file without decoding (cheap: I/O only) and fails on the first demuxing
 * error, so a truncated download fails the job naming the input instead of yielding a short output.
 */
export async function assertIntact(p: ProbeResult, label: string, signal: AbortSignal): Promise<void> {
  try {
    await runFfmpeg(['-v', 'error', '-xerror', '-i', p.path, '-map', '0', '-c', 'copy', '-f', 'null', '-'], { signal });
  } catch (err) {
    if (!(err instanceof FfmpegError)) throw err;
    const reason = err.stderrTail.split('\n').filter(Boolean).slice(-2).join(' | ') || `exit code ${err.exitCode}`;
    throw badMedia(`${label}: the file is truncated or corrupt (${reason})`);
  }
}

/**
 * A concat-demuxer playlist passed inline as a data: URI, so it can name the plan's {in:}/{tmp:}
 * paths (plan files are literal text). "file:" makes each entry an absolute URL rather than a path
 * relative to the data: URI.
 */
export function concatListArg(pathTokens: string[]): string {
  return `data:text/plain,ffconcat version 1.0\n${pathTokens.map((t) => `file 'file:${t}'`).join('\n')}\n`;
}

export const CONCAT_INPUT = ['-f', 'concat', '-safe', '0'];

/** seconds → 3 decimals, the precision results report */
export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

export type Processor = 'GPU' | 'VPS';

/**
 * Video results: GPU jobs answer with §2's keys (success, video_url, filename, s3_key, message, facts);
 * VPS jobs with §2.7's (video_url, pathRaiz, and the op's facts). Both carry pathRaiz.
 */
export function videoResult(
  processor: Processor,
  request: { path: string; output_filename: string },
  output: StoredObject,
  opts: { message: string; facts?: Record<string, unknown>; vpsFacts?: Record<string, unknown> },
): Record<string, unknown> {
  if (processor === 'VPS') return { video_url: output.url, pathRaiz: pathRaiz(request.path), ...(opts.vpsFacts ?? {}) };
  return {
    success: true,
    video_url: output.url,
    filename: request.output_filename,
    s3_key: output.key,
    ...(opts.facts ?? {}),
    message: opts.message,
    pathRaiz: pathRaiz(request.path),
  };
}

/** The /vps/audio/* result (the contract's audio shape): the stored file, the facts, the message. */
export function audioResult(request: { output_filename: string }, output: StoredObject, facts: Record<string, unknown>, message: string): Record<string, unknown> {
  return { success: true, audio_url: output.url, filename: request.output_filename, s3_key: output.key, ...facts, message };
}

/** Audio output formats by file extension (the /vps/audio routes take any output_filename). */
export interface AudioFormat {
  muxer: string;
  contentType: string;
  encode: string[];
  /** codecs this container takes by stream copy */
  copyable: Set<string>;
}

export function audioFormatFor(filename: string): AudioFormat {
  switch (extname(filename).toLowerCase()) {
    case '.m4a':
    case '.mp4':
      return { muxer: 'ipod', contentType: 'audio/mp4', encode: AAC_192K, copyable: new Set(['aac', 'alac']) };
    case '.aac':
      return { muxer: 'adts', contentType: 'audio/aac', encode: AAC_192K, copyable: new Set(['aac']) };
    case '.wav':
      return { muxer: 'wav', contentType: 'audio/wav', encode: ['-c:a', 'pcm_s16le'], copyable: new Set(['pcm_s16le']) };
    default:
      return { muxer: 'mp3', contentType: 'audio/mpeg', encode: ['-c:a', 'libmp3lame', '-b:a', '192k'], copyable: new Set(['mp3']) };
  }
}

/** Probes inputs a few at a time (each probe downloads the file first), in request order. */
export async function probeAll(env: PrepareEnv, inputs: { url: string; label: string }[], limit = 4): Promise<ProbeResult[]> {
  const results: ProbeResult[] = new Array(inputs.length);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const i = next++;
      results[i] = await env.probeInput(inputs[i].url, inputs[i].label);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, worker));
  return results;
}

/** Filter-graph number: plain decimal, enough digits for microsecond timing. */
export function fnum(n: number): string {
  return String(Number(n.toFixed(6)));
}
