/**
 * What the watch page says about captions, and how a caption track becomes segments. Pure functions
 * over YouTube's data structures (ytInitialPlayerResponse and timedtext in json3 or WebVTT).
 */
import { ApplicationFailure } from '@temporalio/common';
import type { CaptionKind, TranscriptSegment, YoutubeFailureType } from '../../common/youtube';

interface Text {
  simpleText?: string;
  runs?: { text?: string }[];
}

export interface CaptionTrack {
  baseUrl: string;
  languageCode: string;
  /** "asr" marks automatic speech recognition */
  kind?: string;
  name?: Text;
  isTranslatable?: boolean;
}

export interface PlayerResponse {
  playabilityStatus?: { status?: string; reason?: string; messages?: string[] };
  videoDetails?: { videoId?: string; title?: string };
  captions?: {
    playerCaptionsTracklistRenderer?: {
      captionTracks?: CaptionTrack[];
      translationLanguages?: { languageCode: string; languageName?: Text }[];
    };
  };
}

export function failure(type: YoutubeFailureType, message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : [] });
}

export function textOf(t: Text | undefined): string | undefined {
  if (!t) return undefined;
  return t.simpleText ?? t.runs?.map((r) => r.text ?? '').join('');
}

/** Throws the failure that explains why a video that is not playable has no transcript for us. */
export function assertPlayable(player: PlayerResponse, videoId: string): void {
  const status = player.playabilityStatus?.status ?? 'OK';
  if (status === 'OK') return;
  const reason = player.playabilityStatus?.reason ?? player.playabilityStatus?.messages?.[0] ?? status;
  if (status === 'LOGIN_REQUIRED' && /private/i.test(reason)) throw failure('YoutubePrivate', `Video ${videoId} is private: ${reason}`, { status, reason });
  if (status === 'LOGIN_REQUIRED' || status === 'AGE_CHECK_REQUIRED' || status === 'CONTENT_CHECK_REQUIRED' || status === 'UNPLAYABLE') {
    throw failure('YoutubeRestricted', `Video ${videoId} cannot be watched without signing in or is restricted: ${reason}`, { status, reason });
  }
  throw failure('YoutubeUnavailable', `Video ${videoId} is unavailable (removed or never existed): ${reason}`, { status, reason });
}

export function kindOf(track: CaptionTrack): CaptionKind {
  return track.kind === 'asr' ? 'auto' : 'manual';
}

const primary = (code: string) => code.toLowerCase().split('-')[0];

export interface TrackChoice {
  track: CaptionTrack;
  kind: CaptionKind;
  /** the language to ask YouTube to translate the track into (tlang), when no track has it */
  translateTo?: string;
  languageName?: string;
}

/**
 * Picks the caption track for a request. Language: the requested one, else the spoken language (that
 * of the auto-generated track) or the first track's. Tracks of the same primary language ("pt" and
 * "pt-BR") all qualify; among them `prefer` (manual or auto-generated) comes first, then the exact
 * code. With no track in that language, YouTube's translation of a translatable track is used.
 */
export function chooseTrack(player: PlayerResponse, opts: { language?: string; prefer: CaptionKind; videoId: string }): TrackChoice {
  const list = player.captions?.playerCaptionsTracklistRenderer;
  const tracks = (list?.captionTracks ?? []).filter((t) => typeof t.baseUrl === 'string' && typeof t.languageCode === 'string');
  if (tracks.length === 0) {
    throw failure('YoutubeNoCaptions', `Auto-generated transcript not available for this video: video ${opts.videoId} has no caption tracks`);
  }
  const wanted = opts.language ?? tracks.find((t) => kindOf(t) === 'auto')?.languageCode ?? tracks[0].languageCode;
  const preferred = (t: CaptionTrack) => Number(kindOf(t) === opts.prefer);
  const exact = (code: string) => Number(code.toLowerCase() === wanted.toLowerCase());

  const sameLanguage = tracks
    .filter((t) => primary(t.languageCode) === primary(wanted))
    .sort((a, b) => preferred(b) - preferred(a) || exact(b.languageCode) - exact(a.languageCode));
  if (sameLanguage.length > 0) {
    const track = sameLanguage[0];
    return { track, kind: kindOf(track), languageName: textOf(track.name) };
  }

  const translation = list?.translationLanguages
    ?.filter((l) => primary(l.languageCode) === primary(wanted))
    .sort((a, b) => exact(b.languageCode) - exact(a.languageCode))[0];
  const translatable = tracks.filter((t) => t.isTranslatable).sort((a, b) => preferred(b) - preferred(a))[0];
  if (translation && translatable) {
    return { track: translatable, kind: kindOf(translatable), translateTo: translation.languageCode, languageName: textOf(translation.languageName) };
  }
  const available = [...new Set(tracks.map((t) => t.languageCode))];
  throw failure('YoutubeLanguageUnavailable', `No captions in language "${wanted}" for video ${opts.videoId}; available: ${available.join(', ')}`, { available });
}

/** Sound tags such as "[Music]" or "[Applause]" are not speech (the seed removed them too). */
function cleanText(text: string): string {
  return text.replace(/\[[^\]]*\]/g, ' ').replace(/\s+/g, ' ').trim();
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

function segment(startS: number, durationS: number, raw: string): TranscriptSegment | null {
  const text = cleanText(raw);
  return text ? { start: round3(startS), duration: round3(Math.max(0, durationS)), text } : null;
}

interface Json3 {
  events?: { tStartMs?: number; dDurationMs?: number; segs?: { utf8?: string }[] }[];
}

/** timedtext fmt=json3: one event per caption line; events without `segs` only position windows. */
export function parseJson3(body: string): TranscriptSegment[] | null {
  let doc: Json3;
  try {
    doc = JSON.parse(body) as Json3;
  } catch {
    return null;
  }
  if (!doc || !Array.isArray(doc.events)) return null;
  const out: TranscriptSegment[] = [];
  for (const ev of doc.events) {
    if (!Array.isArray(ev.segs)) continue;
    const s = segment((ev.tStartMs ?? 0) / 1000, (ev.dDurationMs ?? 0) / 1000, ev.segs.map((x) => x.utf8 ?? '').join(''));
    if (s) out.push(s);
  }
  return out;
}

const VTT_TIMING = /^\s*((?:\d+:)?\d{1,2}:\d{2}\.\d{3})\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}\.\d{3})/;
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&nbsp;': ' ' };

function vttSeconds(clock: string): number {
  const parts = clock.split(':').map(Number);
  while (parts.length < 3) parts.unshift(0);
  return parts[0] * 3600 + parts[1] * 60 + parts[2];
}

/**
 * timedtext fmt=vtt. Auto-generated tracks "roll": each cue repeats the previous line above the new
 * one (and 10 ms cues repeat it alone), so a line already shown by the previous cue is dropped.
 */
export function parseVtt(body: string): TranscriptSegment[] | null {
  const text = body.replace(/^\uFEFF/, '');
  if (!text.startsWith('WEBVTT')) return null;
  const out: TranscriptSegment[] = [];
  let previous = new Set<string>();
  // cues end at an empty line; a line holding one space (as auto-generated cues start with) is cue text
  for (const block of text.split(/\r?\n\r?\n/)) {
    const lines = block.split(/\r?\n/);
    const at = lines.findIndex((l) => VTT_TIMING.test(l));
    if (at < 0) continue;
    const [, from, to] = VTT_TIMING.exec(lines[at])!;
    const cueLines = lines
      .slice(at + 1)
      .map((l) => l.replace(/<[^>]*>/g, '').replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (e) => ENTITIES[e]).trim())
      .filter((l) => l !== '');
    const fresh = cueLines.filter((l) => !previous.has(l));
    previous = new Set(cueLines);
    const start = vttSeconds(from);
    const s = segment(start, vttSeconds(to) - start, fresh.join(' '));
    if (s) out.push(s);
  }
  return out;
}
