/**
 * addaudio (§2.3): replace a video's audio. The video stream is copied, never re-encoded; lengths are
 * reconciled per `length_mode`:
 *   retime (default, the seed's behaviour): the video is re-timed to the audio's length by scaling its
 *     timestamps on input (-itsscale), which changes frame times without touching frame data;
 *     speed_factor = video/audio.
 *   cut_to_audio: the output is as long as the shorter of the two (each cut where the other ends).
 *   cut_to_video: the output is as long as the video; the audio is cut or padded with silence.
 *   pad: the output is as long as the longer; audio is padded with silence, or, when the video is the
 *     shorter one, its last frame is held, which needs the only re-encode of this operation.
 *   loop: the video repeats (copied) until the audio ends.
 * The new audio is AAC 192k.
 */
import type { AddAudioRequest } from '../../api/schemas/media';
import { requireSound } from '../audio-analysis';
import { PLAN_VERSION } from '../plan';
import { AAC_192K, MP4_OUT, assertIntact, mp4CanCopyVideo, outputKey, planOutput, requireAudio, requireVideo, round3, videoResult, VIDEO_ENCODERS } from './shared';
import type { OperationDef } from './types';

/** Enough digits that a one-hour video re-timed by the factor lands within a microsecond. */
function exact(n: number): string {
  return n.toPrecision(12);
}

export const addaudio: OperationDef<AddAudioRequest> = {
  async prepare(req, env) {
    const [videoProbe, audioProbe] = await Promise.all([env.probeInput(req.url_video, 'url_video'), env.probeInput(req.url_audio, 'url_audio')]);
    const video = requireVideo(videoProbe, 'url_video');
    requireAudio(audioProbe, 'url_audio');
    await assertIntact(videoProbe, 'url_video', env.signal);
    const sound = await requireSound(audioProbe, 'url_audio', env.signal);

    const V = video.duration;
    const A = sound.seconds;
    const mode = req.length_mode;
    const input: string[] = [];
    const videoFilter: string[] = [];
    const audioFilter: string[] = [];
    let outDuration: number;
    // a video codec MP4 cannot hold as-is is the one case besides freeze-padding that is re-encoded
    let reencode = !mp4CanCopyVideo(video.stream);

    switch (mode) {
      case 'retime':
        input.push('-itsscale', exact(A / V));
        outDuration = A;
        break;
      case 'cut_to_audio':
        outDuration = Math.min(V, A);
        break;
      case 'cut_to_video':
        audioFilter.push('apad');
        outDuration = V;
        break;
      case 'pad':
        outDuration = Math.max(V, A);
        if (A > V) {
          videoFilter.push(`tpad=stop_mode=clone:stop_duration=${exact(A - V)}`);
          reencode = true;
        } else audioFilter.push('apad');
        break;
      case 'loop':
        if (A > V) input.push('-stream_loop', '-1');
        outDuration = A;
        break;
    }

    const argv = [
      ...input,
      '-i', '{in:video}',
      '-i', '{in:audio}',
      '-map', '0:v:0',
      '-map', '1:a:0',
      ...(videoFilter.length ? ['-vf', videoFilter.join(',')] : []),
      ...(reencode ? ['{venc}'] : ['-c:v', 'copy']),
      ...(audioFilter.length ? ['-af', audioFilter.join(',')] : []),
      ...AAC_192K,
      '-t', exact(outDuration),
      ...MP4_OUT,
      '{out:video}',
    ];
    const key = outputKey(req);
    return {
      plan: {
        version: PLAN_VERSION,
        operation: 'addaudio',
        inputs: [
          { id: 'video', url: req.url_video, kind: 'video', label: 'url_video' },
          { id: 'audio', url: req.url_audio, kind: 'audio', label: 'url_audio' },
        ],
        files: [],
        steps: [{ id: 'mux', argv, dependsOn: [], durationSeconds: outDuration }],
        outputs: [await planOutput(env, 'video', key, 'video/mp4')],
        encoders: VIDEO_ENCODERS,
        maxParallelSteps: 1,
      },
      meta: {
        speedFactor: mode === 'retime' ? round3(V / A) : 1,
        videoDuration: V,
        audioDuration: A,
        outputDuration: outDuration,
        videoCopied: !reencode,
      },
    };
  },

  shape(req, meta, outputs, processor) {
    const speed_factor = meta.speedFactor as number;
    return videoResult(processor, req, outputs.video, {
      message: 'Audio added and uploaded to S3 successfully',
      facts: { speed_factor },
      vpsFacts: { speed_factor },
    });
  },
};
