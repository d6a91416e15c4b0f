/**
 * caption_style type=highlight (and the word_by_word / karaoke_srt variants): the spoken word is
 * highlighted at its own timestamps.
 *
 * Layout (contract §4): layer 0 "Base" shows a group's full text (with its background box); layer 2
 * "Highlight" repeats the same text once per word, during that word only, with every other word fully
 * transparent, so the highlighted word (highlight text colour, highlight_cor border of highlight_borda)
 * sits exactly over its base copy. Each event's times come from
 * the source timestamps, rounded once, so gaps between words stay gaps and nothing drifts.
 */
import type { CaptionStyleRequest } from '../../api/schemas/media';
import { ALIGNMENT_NUMBERS, assColor, escapeAssText, playResFor, renderAss, type AssEvent, type AssStyle } from './ass';
import type { CaptionCanvas } from './segments';
import type { Word } from './types';

export type HighlightStyle = Extract<CaptionStyleRequest, { type: 'highlight' }>['style'];

/** A line never spans more than this many seconds (contract §4). */
const MAX_LINE_SPAN_S = 5;

/** Ends a line: the end of a sentence. */
const SENTENCE_END = /[.!?…]["'”»)]*$/;

/**
 * Splits a run of words into lines (words_per_line words, a 5 s span, or a sentence end) and the lines
 * into groups of max_lines: one group is one on-screen caption.
 */
export function groupWords(words: readonly Word[], wordsPerLine: number, maxLines: number): Word[][][] {
  const lines: Word[][] = [];
  let line: Word[] = [];
  for (const w of words) {
    if (line.length > 0 && w.end - line[0].start > MAX_LINE_SPAN_S) {
      lines.push(line);
      line = [];
    }
    line.push(w);
    if (line.length >= wordsPerLine || SENTENCE_END.test(w.word)) {
      lines.push(line);
      line = [];
    }
  }
  if (line.length > 0) lines.push(line);
  const groups: Word[][][] = [];
  for (let i = 0; i < lines.length; i += maxLines) groups.push(lines.slice(i, i + maxLines));
  return groups;
}

function shown(word: string, uppercase: boolean): string {
  return escapeAssText(uppercase ? word.toUpperCase() : word);
}

function baseStyles(style: HighlightStyle, fontName: string): { base: AssStyle; highlight: AssStyle } {
  const base: AssStyle = {
    name: 'Base',
    fontName,
    fontSize: style.tamanho_fonte,
    primary: assColor(style.texto_cor),
    secondary: assColor(style.texto_cor),
    outline: assColor('#000000'),
    back: assColor(style.fundo_cor, style.fundo_opacidade),
    bold: true,
    italic: false,
    borderStyle: style.fundo_arredondado ? 4 : 1,
    outlineWidth: 3,
    shadow: 0,
    alignment: ALIGNMENT_NUMBERS[style.position],
    marginL: style.padding_horizontal,
    marginR: style.padding_horizontal,
    marginV: style.padding_vertical,
  };
  const highlight: AssStyle = {
    ...base,
    name: 'Highlight',
    primary: assColor(style.highlight_texto_cor ?? style.texto_cor),
    outline: assColor(style.highlight_cor),
    back: assColor('#000000', 0),
    borderStyle: 1,
    outlineWidth: style.highlight_borda,
  };
  return { base, highlight };
}

/** When a word's highlight ends: its own end, cut at the next word's start so two never overlap. */
function highlightEnd(words: readonly Word[], i: number, nextStart: number | undefined): number {
  const end = words[i].end;
  return nextStart !== undefined && nextStart < end ? nextStart : end;
}

export interface HighlightOptions {
  fontName: string;
  uppercase: boolean;
  canvas?: CaptionCanvas;
}

/**
 * runs: words that may share a caption (all words of a words.json; one SRT cue each for karaoke_srt).
 */
export function highlightAss(runs: readonly (readonly Word[])[], style: HighlightStyle, opts: HighlightOptions): string {
  const { base, highlight } = baseStyles(style, opts.fontName);
  // the Highlight style carries the active word's look (\1c, \3c, \bord of the contract), so the
  // active word only resets to it; the other words are made fully transparent
  const activeTags = '{\\r}';
  const hiddenTags = '{\\alpha&HFF&}';
  const events: AssEvent[] = [];
  for (const run of runs) {
    for (const group of groupWords(run, style.words_per_line, style.max_lines)) {
      const flat = group.flat();
      // the words before the active one share one "hidden" block and so do the words after it, which
      // keeps an hour of captions small (the plan carries the file)
      const text = (mark?: number) => {
        let k = 0;
        return group
          .map((line) =>
            line
              .map((w) => {
                const idx = k++;
                const word = shown(w.word, opts.uppercase);
                if (mark === undefined) return word;
                if (idx === mark) return `${activeTags}${word}${idx < flat.length - 1 ? hiddenTags : ''}`;
                return idx === 0 ? `${hiddenTags}${word}` : word;
              })
              .join(' '),
          )
          .join('\\N');
      };
      events.push({ layer: 0, start: flat[0].start, end: Math.max(...flat.map((w) => w.end)), style: base.name, text: text() });
      flat.forEach((w, i) => {
        events.push({ layer: 2, start: w.start, end: highlightEnd(flat, i, flat[i + 1]?.start), style: highlight.name, text: text(i) });
      });
    }
  }
  return renderAss({ ...playResFor(opts.canvas), styles: [base, highlight], events });
}

/** type=word_by_word: only the spoken word is on screen, during its own time. */
export function wordByWordAss(runs: readonly (readonly Word[])[], style: HighlightStyle, opts: HighlightOptions): string {
  const { base } = baseStyles(style, opts.fontName);
  const events: AssEvent[] = [];
  for (const run of runs) {
    run.forEach((w, i) => {
      events.push({ layer: 0, start: w.start, end: highlightEnd(run, i, run[i + 1]?.start), style: base.name, text: shown(w.word, opts.uppercase) });
    });
  }
  return renderAss({ ...playResFor(opts.canvas), styles: [base], events });
}
