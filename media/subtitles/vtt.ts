/** WebVTT writer. Cue text is escaped (&, <, >) so it always renders as plain text. */
import { clockMs } from './time';
import type { Cue } from './types';

function vttText(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('\n')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export function renderVtt(segments: readonly Cue[]): string {
  const blocks = ['WEBVTT\n'];
  for (const seg of segments) {
    const text = vttText(seg.text);
    if (!text) continue;
    blocks.push(`${clockMs(seg.start, '.')} --> ${clockMs(seg.end, '.')}\n${text}\n`);
  }
  return blocks.join('\n');
}
