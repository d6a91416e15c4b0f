/** SubRip: a lenient reader (BOM, CRLF, "." or "," before milliseconds, blank lines inside text) and a writer. */
import { clockMs } from './time';
import { SubtitleParseError, type Cue } from './types';

const TIMING = /^\s*((?:\d+:)?\d{1,2}:\d{1,2}[,.]\d{1,3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{1,2}[,.]\d{1,3})/;
/** Formatting tags SRT players honour; we style cues ourselves, so they are dropped, not shown. */
const SRT_TAGS = /<\/?(?:i|b|u|s|font)(?:\s[^>]*)?>/gi;

function parseClock(value: string): number {
  const [clock, frac] = value.split(/[,.]/);
  const parts = clock.split(':').map(Number);
  while (parts.length < 3) parts.unshift(0);
  const [h, m, s] = parts;
  return h * 3600 + m * 60 + s + Number(frac.padEnd(3, '0')) / 1000;
}

export function parseSrt(source: string): Cue[] {
  const lines = source.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const blocks: { start: number; end: number; lines: string[] }[] = [];
  for (const line of lines) {
    const timing = TIMING.exec(line);
    if (timing) {
      const previous = blocks[blocks.length - 1];
      if (previous) {
        // the cue number printed just before this timing line belongs to the new cue, not the old text
        if (/^\s*\d+\s*$/.test(previous.lines[previous.lines.length - 1] ?? '')) previous.lines.pop();
      }
      blocks.push({ start: parseClock(timing[1]), end: parseClock(timing[2]), lines: [] });
    } else if (blocks.length > 0) {
      blocks[blocks.length - 1].lines.push(line);
    }
  }
  if (blocks.length === 0) throw new SubtitleParseError('is not an SRT file (no "00:00:01,000 --> 00:00:02,000" timing lines)');

  const cues: Cue[] = [];
  for (const block of blocks) {
    const text = block.lines
      .join('\n')
      .replace(SRT_TAGS, '')
      .trim();
    // a cue that ends before it starts cannot be shown; one without text shows nothing
    if (block.end <= block.start || text === '') continue;
    cues.push({ start: block.start, end: block.end, text });
  }
  if (cues.length === 0) throw new SubtitleParseError('has no cue with text and a positive duration');
  return cues.sort((a, b) => a.start - b.start);
}

/** Cue text for a SubRip block: blank lines would end the block early, so they are dropped. */
function srtText(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('\n');
}

export function renderSrt(segments: readonly Cue[]): string {
  const blocks: string[] = [];
  for (const seg of segments) {
    const text = srtText(seg.text);
    if (!text) continue;
    blocks.push(`${blocks.length + 1}\n${clockMs(seg.start, ',')} --> ${clockMs(seg.end, ',')}\n${text}\n`);
  }
  return blocks.join('\n');
}
