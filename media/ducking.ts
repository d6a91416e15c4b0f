/**
 * The background-music engine of trilhasonora and /vps/audio/trilhasonora: the music is looped to the
 * narration's length, lowered by a fixed amount, ducked further while the narration speaks
 * (sidechaincompress keyed by the narration), faded out at the end, mixed under the narration and
 * brought to -16 LUFS.
 *
 * Loudness: the gain comes from EBU R128 measurements taken before the plan is built (narration and
 * music, media/audio-analysis.ts), applied as one static gain plus a peak limiter at -1.5 dBFS. That
 * lands on the target like ffmpeg's loudnorm, without its pumping, and at a fraction of its cost
 * (loudnorm's 192 kHz true-peak path was 2/3 of this step's time).
 */
import { fnum } from './operations/shared';

export const TARGET_LUFS = -16;
const PEAK_LIMIT_DBFS = -1.5;
const SAMPLE_RATE = 48000;
/** the fade-out is at most this long, and at most a quarter of the output */
const MAX_FADE_S = 3;
/** ducking starts this many dB below the narration's mean level, so quiet syllables duck too */
const DUCK_BELOW_MEAN_DB = 12;

export interface DuckingOptions {
  /** filter-graph labels of the narration and the (looped: -stream_loop -1) music inputs */
  voice: string;
  music: string;
  /** output length, seconds */
  duration: number;
  /** fixed music reduction, dB (positive lowers the music) */
  musicReductionDb: number;
  /** the narration's mean level (volumedetect), dBFS */
  voiceMeanDb: number;
  /** integrated loudness of the narration and of the music as given, LUFS */
  voiceLufs: number;
  musicLufs: number;
}

/**
 * Gain that brings the mix to the target: the mix's loudness is estimated as the power sum of the
 * narration and the lowered music (ducking only lowers it further, so the result lands at or a
 * fraction of a LU under the target, never over).
 */
export function normalisationGainDb(o: Pick<DuckingOptions, 'voiceLufs' | 'musicLufs' | 'musicReductionDb'>): number {
  const mix = 10 * Math.log10(10 ** (o.voiceLufs / 10) + 10 ** ((o.musicLufs - o.musicReductionDb) / 10));
  return TARGET_LUFS - mix;
}

/** A filter_complex graph whose output label is [mix]. */
export function duckingGraph(o: DuckingOptions): string {
  const D = o.duration;
  const fade = Math.min(MAX_FADE_S, D / 4);
  const fmt = `aformat=sample_fmts=fltp:sample_rates=${SAMPLE_RATE}:channel_layouts=stereo`;
  // sidechaincompress takes its threshold as linear amplitude, within [2^-10, 1]
  const threshold = Math.min(1, Math.max(0.000977, 10 ** ((o.voiceMeanDb - DUCK_BELOW_MEAN_DB) / 20)));
  const limit = 10 ** (PEAK_LIMIT_DBFS / 20);
  return [
    `${o.voice}${fmt},apad=whole_dur=${fnum(D)},atrim=duration=${fnum(D)},asplit=2[voice][key]`,
    `${o.music}${fmt},atrim=duration=${fnum(D)},asetpts=PTS-STARTPTS,volume=${fnum(-o.musicReductionDb)}dB[music]`,
    `[music][key]sidechaincompress=threshold=${fnum(threshold)}:ratio=8:attack=20:release=400:detection=rms[ducked]`,
    `[ducked]afade=t=out:st=${fnum(D - fade)}:d=${fnum(fade)}[bed]`,
    `[voice][bed]amix=inputs=2:duration=first:dropout_transition=0:normalize=0,volume=${fnum(normalisationGainDb(o))}dB,alimiter=limit=${fnum(limit)}:attack=5:release=50:level=false:latency=true[mix]`,
  ].join(';');
}
