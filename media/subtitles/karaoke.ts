/**
 * karaoke.ass for transcription outputs: lines of ≤10 words or <5 s, each word timed with \k (the
 * syllable turns from SecondaryColour to PrimaryColour as it is sung).
 *
 * \k takes durations, so they are derived from rounded absolute times (duration = round(next) −
 * round(this)); a silence between words becomes an empty {\k} block. The highlight of every word then
 * starts at exactly its own rounded timestamp, however long the file.
 */
import { escapeAssText, renderAss, type AssStyle } from './ass';
import { toUnits } from './time';
import type { Word } from './types';

const WORDS_PER_LINE = 10;
const MAX_LINE_SPAN_S = 5;

export const KARAOKE_STYLE: AssStyle = {
  name: 'Karaoke',
  fontName: 'Arial',
  fontSize: 48,
  primary: '&H00FFFFFF',
  secondary: '&H000088EF',
  outline: '&H00000000',
  back: '&H00000000',
  bold: false,
  italic: false,
  borderStyle: 1,
  outlineWidth: 2,
  shadow: 1,
  alignment: 2,
  marginL: 10,
  marginR: 10,
  marginV: 25,
};

export function karaokeLines(words: readonly Word[]): Word[][] {
  const lines: Word[][] = [];
  let line: Word[] = [];
  for (const w of words) {
    line.push(w);
    if (line.length >= WORDS_PER_LINE || w.end - line[0].start >= MAX_LINE_SPAN_S) {
      lines.push(line);
      line = [];
    }
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

function karaokeText(line: readonly Word[]): string {
  let cursor = toUnits(line[0].start, 100);
  const parts: string[] = [];
  line.forEach((w, i) => {
    const start = Math.max(cursor, toUnits(w.start, 100));
    if (start > cursor) parts.push(`{\\k${start - cursor}}`);
    const next = line[i + 1];
    const endCs = Math.max(start, Math.min(toUnits(w.end, 100), next ? toUnits(next.start, 100) : Infinity));
    parts.push(`{\\k${endCs - start}}${escapeAssText(w.word)}${next ? ' ' : ''}`);
    cursor = endCs;
  });
  return parts.join('');
}

export function renderKaraokeAss(words: readonly Word[], style: Partial<AssStyle> = {}): string {
  const s: AssStyle = { ...KARAOKE_STYLE, ...style, name: 'Karaoke' };
  return renderAss({
    playResX: 1920,
    playResY: 1080,
    styles: [s],
    events: karaokeLines(words).map((line) => ({
      layer: 0,
      start: line[0].start,
      end: Math.max(...line.map((w) => w.end)),
      style: s.name,
      text: karaokeText(line),
    })),
  });
}
