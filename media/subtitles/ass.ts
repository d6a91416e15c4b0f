/**
 * ASS (Advanced SubStation Alpha) writing primitives: colours, escaping, styles, the document.
 * Caption text is data, never markup: escapeAssText makes override tags, braces and backslashes in it
 * render literally (libass honours "\{" and "\}"; a backslash is followed by U+2060 WORD JOINER, an
 * invisible character, so "\N" or "\b1" in the text cannot form an escape).
 */
import { assClock, toUnits } from './time';

export const ALIGNMENT_NUMBERS = {
  bottom_left: 1,
  bottom_center: 2,
  bottom_right: 3,
  middle_left: 4,
  middle_center: 5,
  middle_right: 6,
  top_left: 7,
  top_center: 8,
  top_right: 9,
} as const;
export type AlignmentName = keyof typeof ALIGNMENT_NUMBERS;

/**
 * "#RRGGBB" + opacity (100 = opaque) → ASS "&HAABBGGRR". ASS alpha counts transparency (00 opaque), and
 * the channel order is blue, green, red.
 */
export function assColor(hex: string, opacityPercent = 100): string {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #RRGGBB colour: ${hex}`);
  const alpha = 255 - Math.round(Math.min(100, Math.max(0, opacityPercent)) * 2.55);
  const h2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
  return `&H${h2(alpha)}${m[3]}${m[2]}${m[1]}`.toUpperCase();
}

/** Plain text → ASS event text: newlines become line breaks, everything else shows as typed. */
export function escapeAssText(text: string): string {
  let out = '';
  for (const ch of text.replace(/\r\n?/g, '\n')) {
    if (ch === '\\') out += '\\\u2060';
    else if (ch === '{') out += '\\{';
    else if (ch === '}') out += '\\}';
    else if (ch === '\n') out += '\\N';
    else if (ch === '\t') out += ' ';
    else if (ch < ' ' || ch === '\u007f') continue; // other control characters
    else out += ch;
  }
  return out;
}

export interface AssStyle {
  name: string;
  fontName: string;
  fontSize: number;
  /** ASS colours ("&HAABBGGRR") */
  primary: string;
  secondary: string;
  outline: string;
  back: string;
  bold: boolean;
  italic: boolean;
  /** 1 outline + shadow, 3 opaque box (OutlineColour), 4 libass box per line in BackColour */
  borderStyle: 1 | 3 | 4;
  outlineWidth: number;
  shadow: number;
  alignment: number;
  marginL: number;
  marginR: number;
  marginV: number;
}

export interface AssEvent {
  layer: number;
  /** seconds; rounded to centiseconds independently of every other time */
  start: number;
  end: number;
  style: string;
  /** ASS event text: escaped caption text plus our own override tags */
  text: string;
}

export interface AssDocument {
  playResX: number;
  playResY: number;
  styles: AssStyle[];
  events: AssEvent[];
  /** 0 smart wrapping (default), 2 no wrapping: only \N breaks */
  wrapStyle?: 0 | 2;
  title?: string;
}

/** Values that end up between commas of a Style line must not contain commas or line breaks. */
function field(value: string): string {
  return value.replace(/[,\r\n]/g, ' ').trim();
}

function num(n: number): string {
  return String(Math.round(n * 100) / 100);
}

function styleLine(s: AssStyle): string {
  return [
    `Style: ${field(s.name)}`,
    field(s.fontName),
    num(s.fontSize),
    s.primary,
    s.secondary,
    s.outline,
    s.back,
    s.bold ? -1 : 0,
    s.italic ? -1 : 0,
    0,
    0,
    100,
    100,
    0,
    0,
    s.borderStyle,
    num(s.outlineWidth),
    num(s.shadow),
    s.alignment,
    Math.round(s.marginL),
    Math.round(s.marginR),
    Math.round(s.marginV),
    1,
  ].join(',');
}

/** Events shorter than a centisecond after rounding cannot be displayed and are left out. */
function eventLine(e: AssEvent): string | null {
  const start = toUnits(e.start, 100);
  const end = toUnits(e.end, 100);
  if (end <= start) return null;
  return `Dialogue: ${e.layer},${assClock(start)},${assClock(end)},${field(e.style)},,0,0,0,,${e.text.replace(/[\r\n]/g, ' ')}`;
}

export function renderAss(doc: AssDocument): string {
  const lines = [
    '[Script Info]',
    `Title: ${field(doc.title ?? 'AutoDark captions')}`,
    'ScriptType: v4.00+',
    `PlayResX: ${Math.round(doc.playResX)}`,
    `PlayResY: ${Math.round(doc.playResY)}`,
    `WrapStyle: ${doc.wrapStyle ?? 0}`,
    'ScaledBorderAndShadow: yes',
    'YCbCr Matrix: None',
    '',
    '[V4+ Styles]',
    'Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding',
    ...doc.styles.map(styleLine),
    '',
    '[Events]',
    'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
    ...doc.events.map(eventLine).filter((l): l is string => l !== null),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Script resolution for a video: 1080 units tall, width from the video's aspect ratio, so sizes and
 * margins mean "pixels on a 1080p frame" for any resolution or orientation, with no stretching.
 */
export function playResFor(video: { width?: number; height?: number } | undefined): { playResX: number; playResY: number } {
  const w = video?.width;
  const h = video?.height;
  if (!w || !h) return { playResX: 1920, playResY: 1080 };
  return { playResX: Math.max(1, Math.round((1080 * w) / h)), playResY: 1080 };
}
