/**
 * concat_video_audio (§2.5, §4): repeat the clips in order until the audio is covered, cut exactly
 * where the audio ends; the clips' own audio is dropped.
 *
 * Steps: (normalize=true, or clips that cannot be joined as they are) each distinct clip is encoded
 * once to the common format: 1920x1080 with black bars, 30 fps; those are joined once with stream copy
 * into one cycle; the cycle is then looped (stream copy) under the audio and cut at the audio's end.
 * Nothing is encoded more than once however many times it repeats.
 */
import type { ConcatVideoAudioRequest } from '../../api/schemas/media';
import { requireSound } from '../audio-analysis';
import { PLAN_VERSION, type PlanStep } from '../plan';
import {
  AAC_192K,
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
  requireAudio,
  requireVideo,
  round3,
  videoResult,
  videoSignature,
} from './shared';
import type { OperationDef } from './types';

const NORMAL = { width: 1920, height: 1080, fps: 30 };

/** How the clips cover the audio: clip plays in order, the last one cut short. */
export function coverage(durations: number[], audio: number): { totalSegments: number; fullCycles: number; partialCycle: boolean } {
  const cycle = durations.reduce((a, b) => a + b, 0);
  const fullCycles = Math.floor(audio / cycle + 1e-9);
  let rest = audio - fullCycles * cycle;
  let extra = 0;
  for (const d of durations) {
    if (rest <= 1e-6) break;
    extra++;
    rest -= d;
  }
  return { totalSegments: fullCycles * durations.length + extra, fullCycles, partialCycle: extra > 0 };
}

export const concatVideoAudio: OperationDef<ConcatVideoAudioRequest> = {
  async prepare(req, env) {
    const videoInputs = req.video_urls.map((url, i) => ({ url, label: `video_urls[${i}]` }));
    const [audioProbe, ...videoProbes] = await probeAll(env, [{ url: req.audio_url, label: 'audio_url' }, ...videoInputs]);
    const audio = requireAudio(audioProbe, 'audio_url');
    const sound = await requireSound(audioProbe, 'audio_url', env.signal);
    const clips = videoProbes.map((p, i) => requireVideo(p, videoInputs[i].label));
    for (const [i, p] of videoProbes.entries()) await assertIntact(p, videoInputs[i].label, env.signal);

    const A = sound.seconds;
    const joinable = clips.every((c) => videoSignature(c.stream) === videoSignature(clips[0].stream)) && mp4CanCopyVideo(clips[0].stream);
    const encode = req.normalize || !joinable;
    // without normalize, clips that differ are brought to the first clip's size and rate
    const target = req.normalize ? NORMAL : { width: clips[0].stream.width! + (clips[0].stream.width! % 2), height: clips[0].stream.height! + (clips[0].stream.height! % 2), fps: clips[0].stream.fps ?? 30 };

    const steps: PlanStep[] = [];
    const parts = clips.map((c, i) => {
      if (!encode) return `{in:v${i}}`;
      const vf = [
        `scale=${target.width}:${target.height}:force_original_aspect_ratio=decrease`,
        `pad=${target.width}:${target.height}:(ow-iw)/2:(oh-ih)/2:color=black`,
        'setsar=1',
        `fps=${fnum(target.fps)}`,
        'format=yuv420p',
      ].join(',');
      steps.push({
        id: `clip${i}`,
        // no B-frames: packets then arrive in display order, so the stream-copy cut at the audio's end
        // (which ffmpeg makes on decode timestamps) lands within one frame of it
        argv: ['-i', `{in:v${i}}`, '-map', '0:v:0', '-vf', vf, '{venc}', '-bf', '0', '-an', '-f', 'mp4', `{tmp:clip${i}.mp4}`],
        dependsOn: [],
        durationSeconds: c.duration,
      });
      return `{tmp:clip${i}.mp4}`;
    });
    const cycleSeconds = clips.reduce((a, c) => a + c.duration, 0);
    steps.push({
      id: 'cycle',
      argv: [...CONCAT_INPUT, '-i', concatListArg(parts), '-map', '0:v:0', '-c', 'copy', '-f', 'mp4', '{tmp:cycle.mp4}'],
      dependsOn: steps.map((s) => s.id),
      durationSeconds: cycleSeconds,
      weight: 0.2,
    });
    const copyAudio = mp4CanCopyAudio(audio.stream);
    steps.push({
      id: 'final',
      argv: [
        ...(cycleSeconds < A ? ['-stream_loop', '-1'] : []),
        '-i', '{tmp:cycle.mp4}',
        '-i', '{in:audio}',
        '-map', '0:v:0',
        '-map', '1:a:0',
        '-c:v', 'copy',
        ...(copyAudio ? ['-c:a', 'copy'] : AAC_192K),
        '-t', fnum(A),
        ...MP4_OUT,
        '{out:video}',
      ],
      dependsOn: ['cycle'],
      durationSeconds: A,
      weight: 0.3,
    });

    const fps = encode ? target.fps : (clips[0].stream.fps ?? 30);
    // the cut falls on a frame boundary: the video ends on the first frame edge at or after the audio's end
    const videoDuration = Math.ceil(A * fps - 1e-6) / fps;
    const cov = coverage(
      clips.map((c) => c.duration),
      A,
    );
    return {
      plan: {
        version: PLAN_VERSION,
        operation: 'concat_video_audio',
        inputs: [
          { id: 'audio', url: req.audio_url, kind: 'audio', label: 'audio_url' },
          ...clips.map((_, i) => ({ id: `v${i}`, url: videoInputs[i].url, kind: 'video' as const, label: videoInputs[i].label })),
        ],
        files: [],
        steps,
        outputs: [await planOutput(env, 'video', outputKey(req), 'video/mp4')],
        encoders: VIDEO_ENCODERS,
        maxParallelSteps: 4,
      },
      meta: { ...cov, videoDuration: round3(videoDuration), audioDuration: round3(A), durationDiffMs: Math.round((videoDuration - A) * 1000) },
    };
  },

  shape(req, meta, outputs, processor) {
    const facts = {
      total_segments: meta.totalSegments,
      full_cycles: meta.fullCycles,
      partial_cycle: meta.partialCycle,
      video_duration: meta.videoDuration,
      audio_duration: meta.audioDuration,
      duration_diff_ms: meta.durationDiffMs,
    };
    const message = `Cyclic concatenation complete: ${meta.totalSegments} segments (${meta.fullCycles} full cycles${meta.partialCycle ? ' + partial' : ''}), ${meta.audioDuration}s`;
    return videoResult(processor, req, outputs.video, { message, facts, vpsFacts: facts });
  },
};
