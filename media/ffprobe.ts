/**
 * ffprobe as a typed function: what the plan builders need to know about an input (durations,
 * streams, dimensions). Runs ffprobe without a shell and reads its JSON.
 */
import { execFile } from 'node:child_process';

export interface ProbeStream {
  index: number;
  codecType: 'video' | 'audio' | 'subtitle' | 'data' | string;
  codecName?: string;
  width?: number;
  height?: number;
  pixFmt?: string;
  /** avg_frame_rate as a number (r_frame_rate when the average is unknown) */
  fps?: number;
  timeBase?: string;
  sampleRate?: number;
  channels?: number;
  channelLayout?: string;
  profile?: string;
  level?: number;
  duration?: number;
}

export interface ProbeResult {
  format: { duration?: number; formatName?: string; bitRate?: number; sizeBytes?: number };
  streams: ProbeStream[];
  path: string;
}

export class ProbeError extends Error {
  constructor(readonly path: string, readonly stderr: string) {
    super(`ffprobe could not read the file: ${stderr.trim().split('\n').slice(-3).join(' | ') || 'no readable streams'}`);
    this.name = 'ProbeError';
  }
}

/** Decoder images above this many pixels are refused (a second line of defence behind the header check). */
const PROBE_MAX_PIXELS = '200000000';

export async function probe(path: string, signal?: AbortSignal): Promise<ProbeResult> {
  const argv = ['-v', 'error', '-max_pixels', PROBE_MAX_PIXELS, '-print_format', 'json', '-show_format', '-show_streams', path];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('ffprobe', argv, { signal, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, out, errText) => {
      if (err) {
        if (signal?.aborted) reject(signal.reason ?? err);
        else reject(new ProbeError(path, errText || err.message));
        return;
      }
      resolve(out);
    });
  });
  let raw: { format?: Record<string, unknown>; streams?: Record<string, unknown>[] };
  try {
    raw = JSON.parse(stdout);
  } catch {
    throw new ProbeError(path, 'ffprobe printed invalid JSON');
  }
  if (!raw.format || !raw.streams?.length) throw new ProbeError(path, 'no readable streams');
  return {
    path,
    format: {
      duration: num(raw.format.duration),
      formatName: str(raw.format.format_name),
      bitRate: num(raw.format.bit_rate),
      sizeBytes: num(raw.format.size),
    },
    streams: raw.streams.map(toStream),
  };
}

function toStream(s: Record<string, unknown>): ProbeStream {
  return {
    index: Number(s.index),
    codecType: String(s.codec_type ?? 'data'),
    codecName: str(s.codec_name),
    width: num(s.width),
    height: num(s.height),
    pixFmt: str(s.pix_fmt),
    fps: rate(s.avg_frame_rate) ?? rate(s.r_frame_rate),
    timeBase: str(s.time_base),
    sampleRate: num(s.sample_rate),
    channels: num(s.channels),
    channelLayout: str(s.channel_layout),
    profile: str(s.profile),
    level: num(s.level),
    duration: num(s.duration),
  };
}

/** Media duration in seconds: the container's, else the longest stream's. */
export function durationOf(p: ProbeResult): number | undefined {
  if (p.format.duration !== undefined) return p.format.duration;
  const streams = p.streams.map((s) => s.duration).filter((d): d is number => d !== undefined);
  return streams.length ? Math.max(...streams) : undefined;
}

export function videoStream(p: ProbeResult): ProbeStream | undefined {
  return p.streams.find((s) => s.codecType === 'video');
}

export function audioStream(p: ProbeResult): ProbeStream | undefined {
  return p.streams.find((s) => s.codecType === 'audio');
}

function num(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '' || v === 'N/A') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' && v !== 'unknown' ? v : undefined;
}

/** "30000/1001" -> 29.97; "0/0" -> undefined */
function rate(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const [a, b] = v.split('/').map(Number);
  if (!Number.isFinite(a) || !Number.isFinite(b) || a <= 0 || b <= 0) return undefined;
  return a / b;
}
