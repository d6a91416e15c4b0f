/**
 * YouTube names shared by the API, the workflow and the browser activity: which URLs name a video,
 * and the failures a video itself causes (each answered with its own 4xx). Pure module.
 */

/** The seed's pattern: youtube.com/watch?v=… or youtu.be/… (plus m. and /shorts/, which name videos the same way). */
export const YOUTUBE_URL_PATTERN = /^https?:\/\/(www\.|m\.)?(youtube\.com\/(watch\?|shorts\/)|youtu\.be\/).+/i;

const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;

/** The 11-character video id of a watch, youtu.be or shorts URL, or null. */
export function youtubeVideoId(url: string): string | null {
  if (!YOUTUBE_URL_PATTERN.test(url)) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const host = parsed.hostname.toLowerCase();
  let id: string | null = null;
  if (host === 'youtu.be') id = parsed.pathname.split('/')[1] ?? null;
  else if (parsed.pathname === '/watch') id = parsed.searchParams.get('v');
  else if (parsed.pathname.startsWith('/shorts/')) id = parsed.pathname.split('/')[2] ?? null;
  return id && VIDEO_ID.test(id) ? id : null;
}

/** Failure types the activity throws (non-retryable) when the video cannot give a transcript. */
export const YOUTUBE_FAILURES = {
  YoutubeNoCaptions: { status: 400, reason: 'no_captions' },
  YoutubeLanguageUnavailable: { status: 400, reason: 'language_unavailable' },
  YoutubePrivate: { status: 403, reason: 'private' },
  YoutubeRestricted: { status: 403, reason: 'restricted' },
  YoutubeUnavailable: { status: 404, reason: 'unavailable' },
} as const;

export type YoutubeFailureType = keyof typeof YOUTUBE_FAILURES;

export function isYoutubeFailure(type: string | undefined): type is YoutubeFailureType {
  return type !== undefined && Object.prototype.hasOwnProperty.call(YOUTUBE_FAILURES, type);
}

/** Caption track kinds: uploaded by the creator, or YouTube's automatic speech recognition. */
export type CaptionKind = 'manual' | 'auto';

export interface TranscriptSegment {
  /** seconds from the start of the video */
  start: number;
  duration: number;
  text: string;
}

export interface YoutubeTranscriptInput {
  videoId: string;
  /** the URL the client sent, echoed as `source` */
  source: string;
  language?: string;
  prefer: CaptionKind;
  /** storage key prefix for the transcript files, ending in "/" */
  keyPrefix: string;
}

export interface YoutubeTranscript {
  videoId: string;
  title?: string;
  /** language of the returned text (the requested one when YouTube translated the track) */
  language: string;
  languageName?: string;
  kind: CaptionKind;
  /** set when the text is YouTube's translation of a track in this language */
  translatedFrom?: string;
  format: 'json3' | 'vtt';
  segments: TranscriptSegment[];
  files: { srt: string; vtt: string; txt: string; json: string };
}
