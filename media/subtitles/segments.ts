/** caption_style type=segments: SRT cues → one styled ASS event per cue. */
import type { CaptionStyleRequest } from '../../api/schemas/media';
import { ALIGNMENT_NUMBERS, assColor, escapeAssText, playResFor, renderAss, type AssStyle } from './ass';
import type { Cue } from './types';

export type SegmentsStyle = Extract<CaptionStyleRequest, { type: 'segments' }>['style'];

export interface CaptionCanvas {
  width?: number;
  height?: number;
}

/** Greedy word wrap at maxChars (words longer than a line keep a line of their own). */
export function wrapLine(line: string, maxChars: number): string[] {
  if (maxChars <= 0 || [...line].length <= maxChars) return [line];
  const out: string[] = [];
  let current = '';
  for (const word of line.split(/\s+/).filter(Boolean)) {
    const candidate = current ? `${current} ${word}` : word;
    if (current && [...candidate].length > maxChars) {
      out.push(current);
      current = word;
    } else current = candidate;
  }
  if (current) out.push(current);
  return out;
}

/**
 * A cue's displayed lines: its own lines, a break after each ". " (the seed did this, clients expect
 * one sentence per line), then wrapping at maxChars.
 */
export function cueLines(text: string, opts: { uppercase: boolean; maxChars: number }): string[] {
  const cased = opts.uppercase ? text.toUpperCase() : text;
  return cased
    .split('\n')
    .flatMap((line) => line.split(/(?<=\.)\s+/))
    .map((line) => line.trim())
    .filter(Boolean)
    .flatMap((line) => wrapLine(line, opts.maxChars));
}

/** The contract's nested style groups (plus the README spellings) → one ASS style. */
export function segmentsAssStyle(style: SegmentsStyle, fontName: string): AssStyle {
  const borders = style.borders ?? {};
  const borderStyle = borders.style ?? style.border.style;
  const primaryOpacity = style.opacity?.primary ?? 100;
  const backgroundOpacity = style.opacity?.background ?? 100;
  const background = style.colors.background ?? '#000000';
  return {
    name: 'Caption',
    fontName,
    fontSize: style.font.size,
    primary: assColor(style.colors.primary, primaryOpacity),
    secondary: assColor(style.colors.secondary ?? style.colors.primary, primaryOpacity),
    // BorderStyle 3 paints its box with OutlineColour: the box is the background the client asked for
    outline: borderStyle === 3 && style.colors.background ? assColor(background, backgroundOpacity) : assColor(style.colors.outline),
    back: assColor(background, backgroundOpacity),
    bold: style.font.bold,
    italic: style.font.italic,
    borderStyle,
    outlineWidth: borders.outline ?? style.border.width,
    shadow: borders.shadow ?? style.border.shadow,
    alignment: ALIGNMENT_NUMBERS[style.position.alignment],
    marginL: style.position.marginLeft,
    marginR: style.position.marginRight,
    marginV: style.position.margin_v ?? style.position.marginVertical,
  };
}

export function segmentsAss(cues: readonly Cue[], style: SegmentsStyle, opts: { fontName: string; uppercase: boolean; canvas?: CaptionCanvas }): string {
  const assStyle = segmentsAssStyle(style, opts.fontName);
  return renderAss({
    ...playResFor(opts.canvas),
    styles: [assStyle],
    events: cues.map((cue) => ({
      layer: 0,
      start: cue.start,
      end: cue.end,
      style: assStyle.name,
      text: cueLines(cue.text, { uppercase: opts.uppercase, maxChars: style.max_chars_per_line }).map(escapeAssText).join('\\N'),
    })),
  });
}
