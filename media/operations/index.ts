import type { MediaOperation } from '../../workflows/types';
import type { OperationDef } from './types';
import { img2vid } from './img2vid';
import { captionStyle } from './caption-style';
import { addaudio } from './addaudio';
import { concatenate } from './concatenate';
import { concatVideoAudio } from './concat-video-audio';
import { trilhasonora } from './trilhasonora';
import { audioConcatenate } from './audio-concatenate';
import { audioTrilhasonora } from './audio-trilhasonora';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const OPERATIONS: Record<MediaOperation, OperationDef<any>> = {
  img2vid,
  caption_style: captionStyle,
  addaudio,
  concatenate,
  concat_video_audio: concatVideoAudio,
  trilhasonora,
  audio_concatenate: audioConcatenate,
  audio_trilhasonora: audioTrilhasonora,
};
