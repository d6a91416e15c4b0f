/** ASS / SRT / VTT generation: escaping, styles, wrapping, and exact timing over long inputs. */
import { describe, expect, it } from 'vitest';
import { assColor, escapeAssText, parseSrt, parseWordsJson, renderKaraokeAss, renderSrt, renderVtt, segmentsAss, highlightAss, wordsFromCues, SubtitleParseError, type Word } from '../../media/subtitles';
import { groupWords } from '../../media/subtitles/highlight';
import { cueLines } from '../../media/subtitles/segments';
import { captionStyleRequest } from '../../api/schemas/media';

const base = { webhook_url: 'https://example.com/h', path: 'p/', url_video: 'https://example.com/v.mp4', url_caption: 'https://example.com/c', output_filename: 'o.mp4' };
const segmentsStyle = (style: Record<string, unknown> = {}) => {
  const req = captionStyleRequest.parse({ ...base, type: 'segments', style });
  if (req.type !== 'segments') throw new Error('unreachable');
  return req.style;
};
const highlightStyle = (style: Record<string, unknown> = {}) => {
  const req = captionStyleRequest.parse({ ...base, type: 'highlight', style });
  if (req.type !== 'highlight') throw new Error('unreachable');
  return req.style;
};

function dialogues(ass: string) {
  return ass
    .split('\n')
    .filter((l) => l.startsWith('Dialogue: '))
    .map((l) => {
      const parts = l.slice('Dialogue: '.length).split(',');
      const cs = (t: string) => {
        const [h, m, s] = t.split(':');
        const [sec, c] = s.split('.');
        return ((Number(h) * 60 + Number(m)) * 60 + Number(sec)) * 100 + Number(c);
      };
      return { layer: Number(parts[0]), start: cs(parts[1]), end: cs(parts[2]), style: parts[3], text: parts.slice(9).join(',') };
    });
}

function styleFields(ass: string, name: string): string[] {
  const line = ass.split('\n').find((l) => l.startsWith(`Style: ${name},`));
  if (!line) throw new Error(`no style ${name}`);
  return line.slice('Style: '.length).split(',');
}

/** deterministic pseudo-random numbers */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

/** An hour of words, ms-precision timestamps, with pauses. */
function hourOfWords(): Word[] {
  const rand = rng(42);
  const words: Word[] = [];
  let t = 0.137;
  while (t < 3600) {
    const len = 0.08 + rand() * 0.6;
    const start = Math.round(t * 1000) / 1000;
    const end = Math.round((t + len) * 1000) / 1000;
    words.push({ word: `w${words.length}`, start, end });
    t = end + (rand() < 0.1 ? 0.3 + rand() * 2 : rand() * 0.05);
  }
  return words;
}

describe('escapeAssText', () => {
  it('keeps override tags, braces and backslashes literal and turns newlines into \\N', () => {
    const out = escapeAssText('{\\an8}Olá\\N{b}\nfim\\');
    expect(out).toBe('\\{\\\u2060an8\\}Olá\\\u2060N\\{b\\}\\Nfim\\\u2060');
    // no brace opens an override block: every "{" is escaped
    expect(out.replace(/\\\{/g, '')).not.toContain('{');
    // the only \N escape is the one from the newline
    expect(out.match(/\\N/g)).toHaveLength(1);
  });

  it('drops control characters and never leaves a raw line break in an event', () => {
    const ass = segmentsAss([{ start: 0, end: 1, text: 'a\u0007b\r\nc' }], segmentsStyle(), { fontName: 'DejaVu Sans', uppercase: false });
    const events = dialogues(ass);
    expect(events).toHaveLength(1);
    expect(events[0].text).toBe('ab\\Nc');
  });
});

describe('segments ASS', () => {
  it('maps colours with opacity to &HAABBGGRR', () => {
    expect(assColor('#FF8000')).toBe('&H000080FF');
    // 50 % → 255 − round(127.49999…) = 128, as the seed computed it (Python floats agree)
    expect(assColor('#000000', 50)).toBe('&H80000000');
    expect(assColor('#123456', 0)).toBe('&HFF563412');
  });

  it('maps every alignment name to its ASS number and applies margins', () => {
    const names = ['bottom_left', 'bottom_center', 'bottom_right', 'middle_left', 'middle_center', 'middle_right', 'top_left', 'top_center', 'top_right'];
    names.forEach((alignment, i) => {
      const ass = segmentsAss([{ start: 0, end: 1, text: 'x' }], segmentsStyle({ position: { alignment, marginVertical: 77, marginLeft: 5, marginRight: 6 } }), { fontName: 'DejaVu Sans', uppercase: false });
      const f = styleFields(ass, 'Caption');
      expect(f[18]).toBe(String(i + 1));
      expect(f.slice(19, 22)).toEqual(['5', '6', '77']);
    });
  });

  it('applies the contract defaults and the README spellings', () => {
    const defaults = styleFields(segmentsAss([{ start: 0, end: 1, text: 'x' }], segmentsStyle(), { fontName: 'Liberation Sans', uppercase: false }), 'Caption');
    expect(defaults.slice(0, 8)).toEqual(['Caption', 'Liberation Sans', '36', '&H00FFFFFF', '&H00FFFFFF', '&H00000000', '&H00000000', '-1']);
    expect(defaults[15]).toBe('1'); // border style
    expect(defaults[16]).toBe('3'); // outline width
    expect(defaults[21]).toBe('20'); // marginVertical
    const readme = styleFields(
      segmentsAss([{ start: 0, end: 1, text: 'x' }], segmentsStyle({ colors: { background: '#FF0000' }, opacity: { primary: 100, background: 80 }, borders: { outline: 2, shadow: 1, style: 3 }, position: { margin_v: 40 } }), { fontName: 'X', uppercase: false }),
      'Caption',
    );
    // style 3 paints the box with OutlineColour: the requested background, 80 % opaque
    expect(readme[5]).toBe('&H330000FF');
    expect(readme.slice(15, 18)).toEqual(['3', '2', '1']);
    expect(readme[21]).toBe('40');
  });

  it('sizes the script to the video so text is never stretched', () => {
    const portrait = segmentsAss([{ start: 0, end: 1, text: 'x' }], segmentsStyle(), { fontName: 'X', uppercase: false, canvas: { width: 1080, height: 1920 } });
    expect(portrait).toContain('PlayResX: 608\nPlayResY: 1080');
  });

  it('wraps lines, breaks after sentences and upper-cases', () => {
    expect(cueLines('Olá mundo. Tudo bem com você hoje', { uppercase: true, maxChars: 12 })).toEqual(['OLÁ MUNDO.', 'TUDO BEM COM', 'VOCÊ HOJE']);
    expect(cueLines('uma\nduas', { uppercase: false, maxChars: 0 })).toEqual(['uma', 'duas']);
    expect(cueLines('supercalifragilistic x', { uppercase: false, maxChars: 5 })).toEqual(['supercalifragilistic', 'x']);
  });
});

describe('SRT and VTT', () => {
  it('reads CRLF, a BOM, "." milliseconds, missing numbers, blank lines inside text and drops tags', () => {
    const src = '\uFEFF1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Olá</i>\r\n\r\n00:00:03.2 --> 00:00:04.000 X1:0\r\nlinha um\r\n\r\nlinha dois\r\n\r\n3\r\n1:02:03,004 --> 1:02:04,000\r\nfim\r\n';
    expect(parseSrt(src)).toEqual([
      { start: 1, end: 2.5, text: 'Olá' },
      { start: 3.2, end: 4, text: 'linha um\n\nlinha dois' },
      { start: 3723.004, end: 3724, text: 'fim' },
    ]);
  });

  it('refuses files without cues', () => {
    expect(() => parseSrt('hello\nworld')).toThrow(SubtitleParseError);
    expect(() => parseSrt('1\n00:00:02,000 --> 00:00:01,000\nbackwards\n')).toThrow(/no cue/);
  });

  it('renders SRT that reads back identically, with times rounded from their own values', () => {
    const segs = [
      { start: 0, end: 1.0005, text: 'um' },
      { start: 3599.9999, end: 3723.0045, text: 'dois\n\nlinhas' },
    ];
    const srt = renderSrt(segs);
    expect(srt).toBe('1\n00:00:00,000 --> 00:00:01,001\num\n\n2\n01:00:00,000 --> 01:02:03,005\ndois\nlinhas\n');
    expect(parseSrt(srt).map((c) => c.text)).toEqual(['um', 'dois\nlinhas']);
  });

  it('renders WebVTT with markup escaped', () => {
    expect(renderVtt([{ start: 1.5, end: 2, text: '<b>a</b> & b --> c' }])).toBe('WEBVTT\n\n00:00:01.500 --> 00:00:02.000\n&lt;b&gt;a&lt;/b&gt; &amp; b --&gt; c\n');
  });
});

describe('words', () => {
  it('reads words.json, bare arrays and whisper segments, in time order', () => {
    expect(parseWordsJson('{"words":[{"word":" b","start":1,"end":2},{"word":"a","start":0,"end":0.5}],"metadata":{}}')).toEqual([
      { word: 'a', start: 0, end: 0.5 },
      { word: 'b', start: 1, end: 2 },
    ]);
    expect(parseWordsJson('[{"text":"x","start":0,"end":1}]')).toEqual([{ word: 'x', start: 0, end: 1 }]);
    expect(parseWordsJson('{"segments":[{"words":[{"word":"y","start":2,"end":3}]}]}')).toEqual([{ word: 'y', start: 2, end: 3 }]);
  });

  it('names what is wrong', () => {
    expect(() => parseWordsJson('{"words": [')).toThrow(/not valid JSON/);
    expect(() => parseWordsJson('{"words":[{"word":"a","start":"x","end":1}]}')).toThrow(/words\[0\]\.start/);
    expect(() => parseWordsJson('{"words":[]}')).toThrow(/no words/);
    expect(() => parseWordsJson('{"foo":1}')).toThrow(/must be/);
  });

  it('spreads a cue over its words by length, from cue start to cue end', () => {
    const [run] = wordsFromCues([{ start: 10, end: 13, text: 'a bb\nccc' }]);
    expect(run.map((w) => w.word)).toEqual(['a', 'bb', 'ccc']);
    expect(run[0].start).toBe(10);
    expect(run[2].end).toBe(13);
    expect(run[1].start).toBeCloseTo(10 + 3 * (2 / 9), 9);
    expect(run[2].start).toBeCloseTo(10 + 3 * (5 / 9), 9);
  });

  it('groups lines by words_per_line, sentence ends and a 5 s span, and captions by max_lines', () => {
    const w = (word: string, start: number) => ({ word, start, end: start + 0.2 });
    const words = [w('a', 0), w('b', 0.3), w('c.', 0.6), w('d', 1), w('e', 1.3), w('f', 1.6), w('g', 7), w('h', 7.3)];
    const groups = groupWords(words, 2, 2);
    expect(groups.map((g) => g.map((l) => l.map((x) => x.word).join(' ')))).toEqual([['a b', 'c.'], ['d e', 'f'], ['g h']]);
  });
});

describe('exact timing over an hour', () => {
  const words = hourOfWords();
  const cs = (s: number) => Math.round(Number((s * 100).toFixed(6)));

  it('karaoke \\k timings put every word at its own rounded start, gaps included', () => {
    const ass = renderKaraokeAss(words);
    let i = 0;
    for (const d of dialogues(ass)) {
      let cursor = d.start;
      for (const m of d.text.matchAll(/\{\\k(\d+)\}([^{]*)/g)) {
        const word = m[2].trim();
        if (word) {
          expect(word).toBe(words[i].word);
          expect(cursor).toBe(cs(words[i].start));
          i++;
        }
        cursor += Number(m[1]);
      }
      expect(cursor).toBeLessThanOrEqual(d.end);
    }
    expect(i).toBe(words.length);
    expect(words[words.length - 1].end).toBeGreaterThan(3599);
  });

  it('highlight events start and end at each word\'s own timestamps', () => {
    const ass = highlightAss([words], highlightStyle({ words_per_line: 4, max_lines: 2 }), { fontName: 'X', uppercase: false });
    const highlights = dialogues(ass).filter((d) => d.layer === 2);
    expect(highlights).toHaveLength(words.length);
    highlights.forEach((h, i) => {
      expect(h.start).toBe(cs(words[i].start));
      const next = words[i + 1];
      expect(h.end).toBe(cs(next && next.start < words[i].end ? next.start : words[i].end));
      // the active (opaque) word is this one
      expect(/\{\\r\}([^{]*)/.exec(h.text)?.[1].replace('\\N', '').trim()).toBe(words[i].word);
    });
    // base captions span their words: never longer than the group, never overlapping the next
    const bases = dialogues(ass).filter((d) => d.layer === 0);
    for (let i = 1; i < bases.length; i++) expect(bases[i].start).toBeGreaterThanOrEqual(bases[i - 1].end);
  });
});

describe('highlight styles', () => {
  it('follows the contract: base box from fundo_*, highlight colours and border', () => {
    const ass = highlightAss([[{ word: 'Era', start: 0, end: 0.35 }, { word: '{x}', start: 0.4, end: 0.8 }, { word: 'uma', start: 0.8, end: 1 }]], highlightStyle({ fundo_cor: '#112233', fundo_opacidade: 50, highlight_cor: '#D60000', highlight_borda: 12, texto_cor: '#FFFFFF', position: 'top_center', padding_horizontal: 40, padding_vertical: 80 }), { fontName: 'Noto Sans', uppercase: true });
    const b = styleFields(ass, 'Base');
    expect(b[6]).toBe('&H80332211');
    expect(b[15]).toBe('4');
    expect(b.slice(18, 22)).toEqual(['8', '40', '40', '80']);
    const events = dialogues(ass);
    const h = styleFields(ass, 'Highlight');
    expect([h[3], h[5], h[16]]).toEqual(['&H00FFFFFF', '&H000000D6', '12']); // highlight text colour, highlight_cor, highlight_borda
    const active = '{\\r}';
    const hidden = '{\\alpha&HFF&}';
    expect(events[0].text).toBe('ERA \\{X\\} UMA');
    // words before and after the active one are transparent (one block each), so the layout is the base's
    expect(events[1].text).toBe(`${active}ERA${hidden} \\{X\\} UMA`);
    expect(events[2].text).toBe(`${hidden}ERA ${active}\\{X\\}${hidden} UMA`);
    expect(events[3].text).toBe(`${hidden}ERA \\{X\\} ${active}UMA`);
  });
});
