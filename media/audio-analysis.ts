/**
 * Audio facts measured before a plan is built, in one decoding pass over the first audio stream of a
 * local file: levels (volumedetect: the seed's automatic music level), EBU R128 loudness (the mix's
 * normalisation gain), and the exact decoded length. Silent inputs are refused here.
 */
import { execFile } from 'node:child_process';
import { badMedia } from '../common/errors';
import { audioStream, type ProbeResult } from './ffprobe';

export interface AudioLevels {
  /** dBFS; -Infinity for digital silence */
  meanDb: number;
  maxDb: number;
  /** EBU R128 integrated loudness, LUFS (-70 for silence) */
  lufs: number;
  /** samples decoded, all channels together */
  samples: number;
}

export interface SoundFacts extends AudioLevels {
  /**
   * Length of the decoded audio, seconds. Exact, unlike container estimates (an MP3's duration
   * includes encoder padding and is often guessed from the bitrate).
   */
  seconds: number;
}

/** Below this peak an input carries no audible sound (16-bit dither sits near -90 dBFS). */
const SILENCE_PEAK_DB = -60;

export function measureAudio(path: string, signal: AbortSignal): Promise<AudioLevels> {
  // ebur128 logs every frame at "verbose", below the default level: only its summary is printed.
  // (Mono needs no correction: ffmpeg upmixes it to stereo at -3 dB per channel, the same loudness.)
  const argv = ['-hide_banner', '-nostdin', '-i', path, '-map', '0:a:0', '-af', 'volumedetect,ebur128=framelog=verbose', '-f', 'null', '-'];
  return new Promise((resolve, reject) => {
    execFile('ffmpeg', argv, { signal, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, _out, stderr) => {
      if (err) return reject(signal.aborted ? (signal.reason ?? err) : new Error(stderr.trim().split('\n').slice(-2).join(' | ')));
      const db = (name: string) => {
        const m = new RegExp(`${name}:\\s*(-?inf|-?[\\d.]+) dB`).exec(stderr);
        if (!m) return -Infinity; // volumedetect prints nothing when no samples were decoded
        return m[1].endsWith('inf') ? -Infinity : Number(m[1]);
      };
      const lufs = /I:\s*(-?[\d.]+) LUFS/.exec(stderr.split('Summary:').pop() ?? '');
      resolve({ meanDb: db('mean_volume'), maxDb: db('max_volume'), lufs: lufs ? Number(lufs[1]) : -70, samples: Number(/n_samples:\s*(\d+)/.exec(stderr)?.[1] ?? 0) });
    });
  });
}

/** Levels and decoded length of an input that must carry sound; a silent or empty one is refused naming the input. */
export async function requireSound(probe: ProbeResult, label: string, signal: AbortSignal): Promise<SoundFacts> {
  const stream = audioStream(probe);
  let levels: AudioLevels;
  try {
    levels = await measureAudio(probe.path, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    throw badMedia(`${label}: the audio could not be decoded (${(err as Error).message})`);
  }
  const perSecond = (stream?.channels ?? 1) * (stream?.sampleRate ?? 0);
  const seconds = perSecond > 0 ? levels.samples / perSecond : 0;
  if (!(seconds > 0)) throw badMedia(`${label}: the audio is empty (no samples could be decoded)`);
  if (!(levels.maxDb > SILENCE_PEAK_DB)) throw badMedia(`${label}: the audio is silent (peak ${Number.isFinite(levels.maxDb) ? `${levels.maxDb} dBFS` : '-inf dBFS'})`);
  return { ...levels, seconds };
}
