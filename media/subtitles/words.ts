/** Word timings: the words.json reader, and words spread over SRT cues for karaoke from an SRT. */
import { SubtitleParseError, type Cue, type Word } from './types';

function readWord(raw: unknown, index: number): Word | null {
  if (typeof raw !== 'object' || raw === null) throw new SubtitleParseError(`words[${index}] is not an object`);
  const r = raw as Record<string, unknown>;
  const text = typeof r.word === 'string' ? r.word : typeof r.text === 'string' ? r.text : null;
  if (text === null) throw new SubtitleParseError(`words[${index}] has no "word" text`);
  const start = r.start;
  const end = r.end;
  if (typeof start !== 'number' || !Number.isFinite(start) || start < 0) throw new SubtitleParseError(`words[${index}].start must be a number of seconds ≥ 0`);
  if (typeof end !== 'number' || !Number.isFinite(end) || end < 0) throw new SubtitleParseError(`words[${index}].end must be a number of seconds ≥ 0`);
  const word = text.trim();
  if (!word) return null; // whisper sometimes emits empty words; they have nothing to show
  return { word, start, end: Math.max(start, end) };
}

/**
 * Accepts `{"words":[...]}` (transcription's words.json), a bare array, or whisper's
 * `{"segments":[{"words":[...]}]}`. Words are returned in time order.
 */
export function parseWordsJson(source: string): Word[] {
  let doc: unknown;
  try {
    doc = JSON.parse(source.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new SubtitleParseError(`is not valid JSON (${(err as Error).message})`);
  }
  let list: unknown;
  if (Array.isArray(doc)) list = doc;
  else if (doc && typeof doc === 'object' && Array.isArray((doc as { words?: unknown }).words)) list = (doc as { words: unknown[] }).words;
  else if (doc && typeof doc === 'object' && Array.isArray((doc as { segments?: unknown }).segments)) {
    list = ((doc as { segments: { words?: unknown[] }[] }).segments ?? []).flatMap((s) => (Array.isArray(s?.words) ? s.words : []));
  } else throw new SubtitleParseError('must be {"words":[{"word","start","end"},...]}');

  const words = (list as unknown[]).map(readWord).filter((w): w is Word => w !== null);
  if (words.length === 0) throw new SubtitleParseError('has no words');
  // stable sort: transcription output is already ordered; hand-made files may not be
  return words.map((w, i) => ({ w, i })).sort((a, b) => a.w.start - b.w.start || a.i - b.i).map((x) => x.w);
}

/**
 * Spreads each cue's words over the cue's time, in proportion to their length in characters, so
 * karaoke works from a plain SRT. One array per cue: highlighting never joins words of two cues.
 */
export function wordsFromCues(cues: readonly Cue[]): Word[][] {
  const runs: Word[][] = [];
  for (const cue of cues) {
    const tokens = cue.text.split(/\s+/).filter(Boolean);
    if (tokens.length === 0) continue;
    // +1 per word stands for the space after it, so one-letter words still get visible time
    const weights = tokens.map((t) => [...t].length + 1);
    const total = weights.reduce((a, b) => a + b, 0);
    const span = cue.end - cue.start;
    let acc = 0;
    runs.push(
      tokens.map((word, i) => {
        const start = cue.start + (span * acc) / total;
        acc += weights[i];
        const end = i === tokens.length - 1 ? cue.end : cue.start + (span * acc) / total;
        return { word, start, end };
      }),
    );
  }
  return runs;
}
