/** Subtitle reading and writing shared by caption_style and the transcription outputs. */
export { parseSrt, renderSrt } from './srt';
export { renderVtt } from './vtt';
export { parseWordsJson, wordsFromCues } from './words';
export { renderKaraokeAss, KARAOKE_STYLE } from './karaoke';
export { segmentsAss, type SegmentsStyle } from './segments';
export { highlightAss, wordByWordAss, type HighlightStyle } from './highlight';
export { escapeAssText, assColor, ALIGNMENT_NUMBERS, type AssStyle } from './ass';
export { SubtitleParseError, type Cue, type Word } from './types';
