/**
 * caption_style (§2.2, §4): burn styled captions into a video with libass.
 *   segments      SRT → one styled caption per cue (contract style groups)
 *   highlight     words JSON → the spoken word highlighted inside its line
 *   word_by_word  words JSON → one word at a time (ext)
 *   karaoke_srt   SRT → highlight, with each cue's words spread over the cue (ext)
 * The ASS document travels in plan.files and is referenced as {file:captions.ass}: no caption text or
 * style value ever appears in the ffmpeg filter graph. Audio is copied.
 */
import type { CaptionStyleRequest } from '../../api/schemas/media';
import { badMedia } from '../../common/errors';
import { audioStream } from '../ffprobe';
import { resolveFont } from '../fonts';
import { PLAN_VERSION } from '../plan';
import { highlightAss, parseSrt, parseWordsJson, segmentsAss, SubtitleParseError, wordByWordAss, wordsFromCues } from '../subtitles';
import { AAC_192K, MP4_OUT, VIDEO_ENCODERS, assertIntact, mp4CanCopyAudio, outputKey, planOutput, requireVideo, videoResult } from './shared';
import type { OperationDef } from './types';

const MESSAGES: Record<CaptionStyleRequest['type'], string> = {
  segments: 'Caption segments added and uploaded to S3 successfully',
  highlight: 'Caption highlight added and uploaded to S3 successfully',
  word_by_word: 'Caption word_by_word added and uploaded to S3 successfully',
  karaoke_srt: 'Caption karaoke_srt added and uploaded to S3 successfully',
};


/** The ASS document for the request, from the caption file's text. */
async function buildAss(req: CaptionStyleRequest, text: string, canvas: { width?: number; height?: number }): Promise<string> {
  try {
    switch (req.type) {
      case 'segments':
        return segmentsAss(parseSrt(text), req.style, { fontName: await resolveFont(req.style.font.name, 'style.font.name'), uppercase: req.uppercase, canvas });
      case 'highlight':
        return highlightAss([parseWordsJson(text)], req.style, { fontName: await resolveFont(req.style.fonte, 'style.fonte'), uppercase: req.uppercase, canvas });
      case 'word_by_word':
        return wordByWordAss([parseWordsJson(text)], req.style, { fontName: await resolveFont(req.style.fonte, 'style.fonte'), uppercase: req.uppercase, canvas });
      case 'karaoke_srt':
        return highlightAss(wordsFromCues(parseSrt(text)), req.style, { fontName: await resolveFont(req.style.fonte, 'style.fonte'), uppercase: req.uppercase, canvas });
    }
  } catch (err) {
    if (err instanceof SubtitleParseError) throw badMedia(`url_caption: ${req.type === 'highlight' || req.type === 'word_by_word' ? 'the words JSON' : 'the SRT file'} ${err.message}`);
    throw err;
  }
}

export const captionStyle: OperationDef<CaptionStyleRequest> = {
  async prepare(req, env) {
    const [videoProbe, text] = await Promise.all([env.probeInput(req.url_video, 'url_video'), env.fetchText(req.url_caption, 'url_caption')]);
    const video = requireVideo(videoProbe, 'url_video');
    await assertIntact(videoProbe, 'url_video', env.signal);
    const ass = await buildAss(req, text, { width: video.stream.width, height: video.stream.height });

    const audio = audioStream(videoProbe);
    const audioArgs = !audio ? [] : ['-map', '0:a:0', ...(mp4CanCopyAudio(audio) ? ['-c:a', 'copy'] : AAC_192K)];
    const argv = ['-i', '{in:video}', '-map', '0:v:0', ...audioArgs, '-vf', 'ass=filename={file:captions.ass}', '{venc}', ...MP4_OUT, '{out:video}'];
    return {
      plan: {
        version: PLAN_VERSION,
        operation: 'caption_style',
        inputs: [{ id: 'video', url: req.url_video, kind: 'video', label: 'url_video' }],
        files: [{ name: 'captions.ass', content: ass }],
        steps: [{ id: 'burn', argv, dependsOn: [], durationSeconds: video.duration }],
        outputs: [await planOutput(env, 'video', outputKey(req), 'video/mp4')],
        encoders: VIDEO_ENCODERS,
        maxParallelSteps: 1,
      },
      meta: { type: req.type },
    };
  },

  shape(req, _meta, outputs, processor) {
    return videoResult(processor, req, outputs.video, { message: MESSAGES[req.type] });
  },
};
