/**
 * /vps/audio/concatenate (§2.10): join audio files (MP3, AAC, WAV in any mix). When every input has
 * the codec, rate and channels the output format stores, they are joined by stream copy; otherwise
 * they are decoded, joined and encoded once in the output's format (by output_filename's extension:
 * .mp3 (default) MP3 192k, .m4a/.aac AAC 192k, .wav 16-bit PCM).
 */
import type { AudioConcatenateRequest } from '../../api/schemas/media';
import { PLAN_VERSION, type PlanStep } from '../plan';
import { CONCAT_INPUT, audioFormatFor, audioResult, concatListArg, outputKey, planOutput, probeAll, requireAudio, round3 } from './shared';
import type { OperationDef } from './types';

export const audioConcatenate: OperationDef<AudioConcatenateRequest> = {
  async prepare(req, env) {
    const inputs = req.audio_urls.map((a, i) => ({ url: a.audio_url, label: `audio_urls[${i}].audio_url` }));
    const probes = await probeAll(env, inputs);
    const pieces = probes.map((p, i) => requireAudio(p, inputs[i].label));
    const total = pieces.reduce((a, p) => a + p.duration, 0);
    const format = audioFormatFor(req.output_filename);

    const first = pieces[0].stream;
    const same = pieces.every((p) => p.stream.codecName === first.codecName && p.stream.sampleRate === first.sampleRate && p.stream.channels === first.channels && p.stream.profile === first.profile);
    const copy = same && format.copyable.has(first.codecName ?? '');
    // decoded path: every piece to the highest rate and a common layout, joined by the concat filter
    const rate = Math.max(...pieces.map((p) => p.stream.sampleRate ?? 44100));
    const layout = pieces.some((p) => (p.stream.channels ?? 2) > 1) ? 'stereo' : 'mono';
    const graph = `${pieces.map((_, i) => `[${i}:a:0]aformat=sample_fmts=fltp:sample_rates=${rate}:channel_layouts=${layout}[a${i}]`).join(';')};${pieces.map((_, i) => `[a${i}]`).join('')}concat=n=${pieces.length}:v=0:a=1[out]`;
    const step: PlanStep = copy
      ? { id: 'join', argv: [...CONCAT_INPUT, '-i', concatListArg(pieces.map((_, i) => `{in:a${i}}`)), '-map', '0:a:0', '-c', 'copy', '-f', format.muxer, '{out:audio}'], dependsOn: [], durationSeconds: total }
      : { id: 'join', argv: [...pieces.flatMap((_, i) => ['-i', `{in:a${i}}`]), '-filter_complex', graph, '-map', '[out]', ...format.encode, '-f', format.muxer, '{out:audio}'], dependsOn: [], durationSeconds: total };

    return {
      plan: {
        version: PLAN_VERSION,
        operation: 'audio_concatenate',
        inputs: inputs.map((input, i) => ({ id: `a${i}`, url: input.url, kind: 'audio' as const, label: input.label })),
        files: [],
        steps: [step],
        outputs: [await planOutput(env, 'audio', outputKey(req), format.contentType)],
        encoders: {},
        maxParallelSteps: 1,
      },
      meta: { audioCount: pieces.length, totalDuration: round3(total), streamCopy: copy },
    };
  },

  shape(req, meta, outputs) {
    return audioResult(req, outputs.audio, { audio_count: meta.audioCount, total_duration: meta.totalDuration }, `${meta.audioCount} audio files concatenated successfully`);
  },
};
