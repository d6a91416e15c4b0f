/**
 * trilhasonora (§2.6): background music under a narrated video (engine: media/ducking.ts). The video
 * stream is copied; the new audio is AAC 192k.
 *
 * volume_reduction_db: as given, or automatic as in the seed: music mean − narration mean + 20 dB,
 * clamped to 0–40 (a track that cannot be measured counts as −20 dB).
 */
import type { TrilhasonoraRequest } from '../../api/schemas/media';
import { badMedia } from '../../common/errors';
import { requireSound } from '../audio-analysis';
import { duckingGraph } from '../ducking';
import { audioStream } from '../ffprobe';
import { PLAN_VERSION } from '../plan';
import { AAC_192K, MP4_OUT, VIDEO_ENCODERS, assertIntact, fnum, mp4CanCopyVideo, outputKey, planOutput, requireAudio, requireVideo, round3, videoResult } from './shared';
import type { OperationDef } from './types';

const UNMEASURED_MUSIC_DB = -20;

export function automaticReductionDb(musicMeanDb: number, voiceMeanDb: number): number {
  const music = Number.isFinite(musicMeanDb) ? musicMeanDb : UNMEASURED_MUSIC_DB;
  return Math.min(40, Math.max(0, music - voiceMeanDb + 20));
}

export const trilhasonora: OperationDef<TrilhasonoraRequest> = {
  async prepare(req, env) {
    const [videoProbe, musicProbe] = await Promise.all([env.probeInput(req.url_video, 'url_video'), env.probeInput(req.trilha_sonora, 'trilha_sonora')]);
    const video = requireVideo(videoProbe, 'url_video');
    if (!audioStream(videoProbe)) throw badMedia('url_video: the video has no audio track (the narration the music is mixed under)');
    requireAudio(videoProbe, 'url_video');
    requireAudio(musicProbe, 'trilha_sonora');
    await assertIntact(videoProbe, 'url_video', env.signal);
    const [voiceLevel, musicLevel] = await Promise.all([requireSound(videoProbe, 'url_video', env.signal), requireSound(musicProbe, 'trilha_sonora', env.signal)]);

    const V = video.duration;
    const reduction = req.volume_reduction_db ?? automaticReductionDb(musicLevel.meanDb, voiceLevel.meanDb);
    const copyVideo = mp4CanCopyVideo(video.stream);
    const graph = duckingGraph({ voice: '[0:a:0]', music: '[1:a:0]', duration: V, musicReductionDb: reduction, voiceMeanDb: voiceLevel.meanDb, voiceLufs: voiceLevel.lufs, musicLufs: musicLevel.lufs });
    const argv = [
      '-i', '{in:video}',
      '-stream_loop', '-1', '-i', '{in:music}',
      '-filter_complex', graph,
      '-map', '0:v:0',
      '-map', '[mix]',
      ...(copyVideo ? ['-c:v', 'copy'] : ['{venc}']),
      ...AAC_192K,
      '-t', fnum(V),
      ...MP4_OUT,
      '{out:video}',
    ];
    return {
      plan: {
        version: PLAN_VERSION,
        operation: 'trilhasonora',
        inputs: [
          { id: 'video', url: req.url_video, kind: 'video', label: 'url_video' },
          { id: 'music', url: req.trilha_sonora, kind: 'audio', label: 'trilha_sonora' },
        ],
        files: [],
        steps: [{ id: 'mix', argv, dependsOn: [], durationSeconds: V }],
        outputs: [await planOutput(env, 'video', outputKey(req), 'video/mp4')],
        encoders: VIDEO_ENCODERS,
        maxParallelSteps: 1,
      },
      meta: {
        videoDuration: round3(V),
        trilhaDuration: round3(musicLevel.seconds),
        loopsApplied: Math.floor(V / musicLevel.seconds) + 1,
        volumeReductionDb: Math.round(reduction * 100) / 100,
        videoCopied: copyVideo,
      },
    };
  },

  shape(req, meta, outputs, processor) {
    // the video is copied: nothing is encoded, on a GPU or otherwise
    const encoded = !meta.videoCopied;
    const facts = {
      video_duration: meta.videoDuration,
      trilha_duration: meta.trilhaDuration,
      loops_applied: meta.loopsApplied,
      volume_reduction_db: meta.volumeReductionDb,
      gpu_accelerated: encoded && processor === 'GPU',
      encoder: encoded ? (processor === 'GPU' ? 'h264_nvenc' : 'libx264') : 'copy',
    };
    return videoResult(processor, req, outputs.video, { message: `Trilha sonora added (${meta.loopsApplied} loops, -${meta.volumeReductionDb}dB) and uploaded to S3 successfully`, facts, vpsFacts: facts });
  },
};
