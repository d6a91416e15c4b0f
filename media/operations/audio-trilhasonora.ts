/**
 * /vps/audio/trilhasonora (§2.10): background music under a narration, audio only, same engine as
 * trilhasonora (media/ducking.ts). Output MP3 192k (or the format output_filename names), as long as
 * the narration. Music reduction as in the seed: music mean − narration mean + db_offset, not clamped.
 */
import type { AudioTrilhasonoraRequest } from '../../api/schemas/media';
import { requireSound } from '../audio-analysis';
import { duckingGraph } from '../ducking';
import { PLAN_VERSION } from '../plan';
import { audioFormatFor, audioResult, fnum, outputKey, planOutput, requireAudio, round3 } from './shared';
import type { OperationDef } from './types';

export const audioTrilhasonora: OperationDef<AudioTrilhasonoraRequest> = {
  async prepare(req, env) {
    const [voiceProbe, musicProbe] = await Promise.all([env.probeInput(req.audio_url, 'audio_url'), env.probeInput(req.trilha_sonora, 'trilha_sonora')]);
    requireAudio(voiceProbe, 'audio_url');
    requireAudio(musicProbe, 'trilha_sonora');
    const [voiceLevel, musicLevel] = await Promise.all([requireSound(voiceProbe, 'audio_url', env.signal), requireSound(musicProbe, 'trilha_sonora', env.signal)]);

    const D = voiceLevel.seconds;
    const reduction = musicLevel.meanDb - voiceLevel.meanDb + req.db_offset;
    const format = audioFormatFor(req.output_filename);
    const graph = duckingGraph({ voice: '[0:a:0]', music: '[1:a:0]', duration: D, musicReductionDb: reduction, voiceMeanDb: voiceLevel.meanDb, voiceLufs: voiceLevel.lufs, musicLufs: musicLevel.lufs });
    const argv = ['-i', '{in:voice}', '-stream_loop', '-1', '-i', '{in:music}', '-filter_complex', graph, '-map', '[mix]', ...format.encode, '-t', fnum(D), '-f', format.muxer, '{out:audio}'];
    return {
      plan: {
        version: PLAN_VERSION,
        operation: 'audio_trilhasonora',
        inputs: [
          { id: 'voice', url: req.audio_url, kind: 'audio', label: 'audio_url' },
          { id: 'music', url: req.trilha_sonora, kind: 'audio', label: 'trilha_sonora' },
        ],
        files: [],
        steps: [{ id: 'mix', argv, dependsOn: [], durationSeconds: D }],
        outputs: [await planOutput(env, 'audio', outputKey(req), format.contentType)],
        encoders: {},
        maxParallelSteps: 1,
      },
      meta: {
        audioDuration: round3(D),
        trilhaDuration: round3(musicLevel.seconds),
        loopsApplied: Math.max(0, Math.ceil(D / musicLevel.seconds) - 1),
        volumeReductionDb: Math.round(reduction * 100) / 100,
      },
    };
  },

  shape(req, meta, outputs) {
    return audioResult(
      req,
      outputs.audio,
      { audio_duration: meta.audioDuration, trilha_duration: meta.trilhaDuration, loops_applied: meta.loopsApplied, volume_reduction_db: meta.volumeReductionDb },
      `Audio mixed with trilha sonora (${meta.loopsApplied} loops, -${meta.volumeReductionDb}dB)`,
    );
  },
};
