/**
 * concatenate (§2.4): join videos end to end.
 *
 * - Every input has the same video and audio parameters (ffprobe): the concat demuxer joins them with
 *   stream copy; nothing is decoded.
 * - Only the audio differs (codec, rate, channels, or some inputs silent): those inputs get their audio
 *   re-encoded (or silence added) to match, video copied, then the same stream-copy join.
 * - The video differs: one re-encode through the concat filter, where each input is scaled, re-timed
 *   or converted only in the property that differs from the first input. (H.264 streams from different
 *   encoders cannot share one MP4 track, so the whole output is encoded once.)
 * - `transition` crossfade/fade: xfade + acrossfade between consecutive clips (always encoded).
 */
import { badInput, badMedia } from '../../common/errors';
import type { ConcatenateRequest } from '../../api/schemas/media';
import { audioStream, type ProbeResult, type ProbeStream } from '../ffprobe';
import { PLAN_VERSION, type PlanStep } from '../plan';
import {
  AAC_192K,
  aac192k,
  CONCAT_INPUT,
  MP4_OUT,
  VIDEO_ENCODERS,
  assertIntact,
  concatListArg,
  fnum,
  mp4CanCopyAudio,
  mp4CanCopyVideo,
  outputKey,
  planOutput,
  probeAll,
  requireVideo,
  round3,
  videoResult,
  videoSignature,
} from './shared';
import type { OperationDef } from './types';

interface Clip {
  id: string;
  label: string;
  video: ProbeStream;
  audio?: ProbeStream;
  duration: number;
}

const AUDIO_RATE = 48000;

function audioSignature(s: ProbeStream | undefined): string {
  return s ? [s.codecName, s.profile, s.sampleRate, s.channels].join('|') : 'none';
}

function readClip(p: ProbeResult, i: number): Clip {
  const label = `video_urls[${i}]`;
  const { stream, duration } = requireVideo(p, label);
  const audio = audioStream(p);
  if (audio && !audio.codecName) throw badMedia(`${label}: the audio codec is not supported (ffmpeg has no decoder for it)`);
  return { id: `v${i}`, label, video: stream, audio, duration };
}

/** Audio of one clip as exactly `duration` seconds of 48 kHz stereo (silence when it has none). */
function audioChain(c: Clip, i: number, label: string): string {
  const fit = `aformat=sample_fmts=fltp:sample_rates=${AUDIO_RATE}:channel_layouts=stereo,apad=whole_dur=${fnum(c.duration)},atrim=duration=${fnum(c.duration)},asetpts=PTS-STARTPTS`;
  return c.audio ? `[${i}:a:0]${fit}[${label}]` : `anullsrc=r=${AUDIO_RATE}:cl=stereo,${fit}[${label}]`;
}

/** Scale/pad, frame rate and pixel format of a clip, each only when it differs from the target. */
function videoChain(c: Clip, i: number, target: ProbeStream, label: string, forceAll: boolean): string {
  const W = target.width!;
  const H = target.height!;
  const F = target.fps ?? 30;
  const f: string[] = [];
  if (forceAll || c.video.width !== W || c.video.height !== H) f.push(`scale=${W}:${H}:force_original_aspect_ratio=decrease`, `pad=${W}:${H}:(ow-iw)/2:(oh-ih)/2`, 'setsar=1');
  // the fps filter may emit one frame past the end: trim keeps the clip at its own length
  if (Math.abs((c.video.fps ?? F) - F) > 0.001) f.push(`fps=${fnum(F)}`, `trim=duration=${fnum(c.duration)}`);
  if (forceAll || c.video.pixFmt !== 'yuv420p') f.push('format=yuv420p');
  // xfade needs one time base on both inputs
  f.push(forceAll ? 'settb=AVTB,setpts=PTS-STARTPTS' : 'setpts=PTS-STARTPTS');
  return `[${i}:v:0]${f.join(',')}[${label}]`;
}

function copyPlan(clips: Clip[]): { steps: PlanStep[]; total: number } {
  const total = clips.reduce((a, c) => a + c.duration, 0);
  const target = clips[0].audio;
  const audioOk = target === undefined || mp4CanCopyAudio(target);
  const sameAudio = audioOk && clips.every((c) => audioSignature(c.audio) === audioSignature(target));
  const steps: PlanStep[] = [];
  const sources = clips.map((c) => `{in:${c.id}}`);
  if (!sameAudio) {
    // match every clip's audio to AAC at the first clip's rate (48 kHz stereo when it has none)
    const rate = target?.codecName === 'aac' && target.sampleRate ? target.sampleRate : AUDIO_RATE;
    const channels = target?.codecName === 'aac' && target.channels ? target.channels : 2;
    const want = ['aac', 'LC', rate, channels].join('|');
    clips.forEach((c, i) => {
      if (audioSignature(c.audio) === want) return;
      const silence = c.audio ? [] : ['-f', 'lavfi', '-t', fnum(c.duration), '-i', `anullsrc=r=${rate}:cl=${channels === 1 ? 'mono' : 'stereo'}`];
      steps.push({
        id: `audio${i}`,
        argv: ['-i', `{in:${c.id}}`, ...silence, '-map', '0:v:0', '-map', c.audio ? '0:a:0' : '1:a:0', '-c:v', 'copy', ...aac192k(rate), '-ac', String(channels), '-t', fnum(c.duration), '-f', 'mp4', `{tmp:audio${i}.mp4}`],
        dependsOn: [],
        durationSeconds: c.duration,
        weight: 0.2,
      });
      sources[i] = `{tmp:audio${i}.mp4}`;
    });
  }
  const anyAudio = clips.some((c) => c.audio) || !sameAudio;
  steps.push({
    id: 'join',
    argv: [...CONCAT_INPUT, '-i', concatListArg(sources), '-map', '0:v:0', ...(anyAudio ? ['-map', '0:a:0'] : []), '-c', 'copy', ...MP4_OUT, '{out:video}'],
    dependsOn: steps.map((s) => s.id),
    durationSeconds: total,
    weight: 0.2,
  });
  return { steps, total };
}

function encodePlan(clips: Clip[], transition: ConcatenateRequest['transition'], T: number): { steps: PlanStep[]; total: number } {
  const withAudio = clips.some((c) => c.audio);
  const target = { ...clips[0].video, width: clips[0].video.width! + (clips[0].video.width! % 2), height: clips[0].video.height! + (clips[0].video.height! % 2) };
  const graph: string[] = [];
  clips.forEach((c, i) => {
    graph.push(videoChain(c, i, target, `v${i}`, transition !== 'none'));
    if (withAudio) graph.push(audioChain(c, i, `a${i}`));
  });
  let total: number;
  if (transition === 'none') {
    total = clips.reduce((a, c) => a + c.duration, 0);
    const pads = clips.map((_, i) => `[v${i}]${withAudio ? `[a${i}]` : ''}`).join('');
    graph.push(`${pads}concat=n=${clips.length}:v=1:a=${withAudio ? 1 : 0}[vout]${withAudio ? '[aout]' : ''}`);
  } else {
    // each transition overlaps T seconds of two clips: clip k starts T earlier than the previous end
    const kind = transition === 'fade' ? 'fadeblack' : 'fade';
    let length = clips[0].duration;
    let v = 'v0';
    let a = 'a0';
    for (let k = 1; k < clips.length; k++) {
      const vo = k === clips.length - 1 ? 'vout' : `vx${k}`;
      const ao = k === clips.length - 1 ? 'aout' : `ax${k}`;
      graph.push(`[${v}][v${k}]xfade=transition=${kind}:duration=${fnum(T)}:offset=${fnum(length - T)}[${vo}]`);
      if (withAudio) graph.push(`[${a}][a${k}]acrossfade=d=${fnum(T)}[${ao}]`);
      length += clips[k].duration - T;
      v = vo;
      a = ao;
    }
    total = length;
  }
  const argv = [
    ...clips.flatMap((c) => ['-i', `{in:${c.id}}`]),
    '-filter_complex', graph.join(';'),
    '-map', '[vout]',
    ...(withAudio ? ['-map', '[aout]', ...AAC_192K] : []),
    '{venc}',
    ...MP4_OUT,
    '{out:video}',
  ];
  return { steps: [{ id: 'encode', argv, dependsOn: [], durationSeconds: total }], total };
}

export const concatenate: OperationDef<ConcatenateRequest> = {
  async prepare(req, env) {
    const inputs = req.video_urls.map((url, i) => ({ url, label: `video_urls[${i}]` }));
    const probes = await probeAll(env, inputs);
    const clips = probes.map(readClip);
    for (const [i, p] of probes.entries()) await assertIntact(p, inputs[i].label, env.signal);

    const T = req.transition_duration;
    if (req.transition !== 'none') {
      const short = clips.find((c) => c.duration <= T);
      if (short) throw badInput(`transition_duration: ${T} s is not shorter than ${short.label} (${round3(short.duration)} s)`);
    }
    const sameVideo = clips.every((c) => videoSignature(c.video) === videoSignature(clips[0].video)) && mp4CanCopyVideo(clips[0].video);
    const copy = req.transition === 'none' && sameVideo;
    const { steps, total } = copy ? copyPlan(clips) : encodePlan(clips, req.transition, T);

    return {
      plan: {
        version: PLAN_VERSION,
        operation: 'concatenate',
        inputs: clips.map((c, i) => ({ id: c.id, url: inputs[i].url, kind: 'video' as const, label: c.label })),
        files: [],
        steps,
        outputs: [await planOutput(env, 'video', outputKey(req), 'video/mp4')],
        encoders: VIDEO_ENCODERS,
        maxParallelSteps: 4,
      },
      meta: { videoCount: clips.length, duration: round3(total), streamCopy: copy },
    };
  },

  shape(req, meta, outputs, processor) {
    const n = meta.videoCount as number;
    return videoResult(processor, req, outputs.video, {
      message: `${n} videos concatenated and uploaded to S3 successfully`,
      facts: { video_count: n },
    });
  },
};
