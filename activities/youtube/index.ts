/**
 * transcribeYoutube: opens the watch page in the pooled chromium, reads the caption tracks from the
 * player response, fetches the chosen track (json3, else WebVTT) with the page's own cookies, and
 * stores the transcript as SRT, WebVTT, plain text and segments JSON.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Page } from 'playwright';
import type { Storage } from '../../common/storage';
import type { TranscriptSegment, YoutubeTranscript, YoutubeTranscriptInput } from '../../common/youtube';
import { renderSrt } from '../../media/subtitles/srt';
import { renderVtt } from '../../media/subtitles/vtt';
import type { BrowserPool } from './browser-pool';
import { assertPlayable, chooseTrack, failure, parseJson3, parseVtt, type PlayerResponse, type TrackChoice } from './captions';

export interface YoutubeDeps {
  browserPool?: BrowserPool;
  youtubeBaseUrl: string;
  storage: Storage;
}

const PAGE_TIMEOUT_MS = 30_000;

export function youtubeActivities(deps: YoutubeDeps) {
  const base = new URL(deps.youtubeBaseUrl);

  async function transcribeYoutube(input: YoutubeTranscriptInput): Promise<YoutubeTranscript> {
    const pool = deps.browserPool;
    if (!pool) throw ApplicationFailure.nonRetryable('this worker has no browser pool (it does not poll the browser task queue)', 'NoBrowser');
    const ctx = Context.current();
    // heartbeats carry cancellation (the API gave up at its deadline) to us; the page is then closed
    const ticker = setInterval(() => ctx.heartbeat(), 2_000);
    try {
      const read = await pool.withPage((page) => readCaptions(page, input), ctx.cancellationSignal);
      return { ...read, files: await storeFiles(input, read.videoId, read.language, read.kind, read.segments) };
    } finally {
      clearInterval(ticker);
    }
  }

  async function readCaptions(page: Page, input: YoutubeTranscriptInput): Promise<Omit<YoutubeTranscript, 'files'>> {
    const watchUrl = new URL(`/watch?v=${encodeURIComponent(input.videoId)}`, base);
    const response = await page.goto(watchUrl.href, { waitUntil: 'domcontentloaded', timeout: PAGE_TIMEOUT_MS });
    if (response && response.status() >= 500) throw new Error(`YouTube answered HTTP ${response.status()} for the watch page`);
    const player = (await page.evaluate(() => (globalThis as { ytInitialPlayerResponse?: unknown }).ytInitialPlayerResponse ?? null)) as PlayerResponse | null;
    if (!player || typeof player !== 'object') {
      if (response?.status() === 404) throw failure('YoutubeUnavailable', `Video ${input.videoId} is unavailable (the watch page answered 404)`);
      // a consent or bot-check page instead of the watch page: worth another attempt
      throw new Error(`the watch page for ${input.videoId} has no player response (HTTP ${response?.status() ?? '?'})`);
    }
    assertPlayable(player, input.videoId);
    const choice = chooseTrack(player, { language: input.language, prefer: input.prefer, videoId: input.videoId });
    const { segments, format } = await fetchTrack(page, choice, input.videoId);
    return {
      videoId: input.videoId,
      title: player.videoDetails?.title,
      language: choice.translateTo ?? choice.track.languageCode,
      languageName: choice.languageName,
      kind: choice.kind,
      ...(choice.translateTo ? { translatedFrom: choice.track.languageCode } : {}),
      format,
      segments,
    };
  }

  /** json3 first (exact timings); YouTube sometimes answers it empty, so WebVTT is the fallback. */
  async function fetchTrack(page: Page, choice: TrackChoice, videoId: string): Promise<{ segments: TranscriptSegment[]; format: 'json3' | 'vtt' }> {
    const trackUrl = new URL(choice.track.baseUrl, page.url());
    // the track URL comes from the page; only ever follow it to the configured YouTube origin
    if (trackUrl.origin !== base.origin) throw new Error(`caption track URL ${trackUrl.origin} is not on ${base.origin}`);
    if (choice.translateTo) trackUrl.searchParams.set('tlang', choice.translateTo);
    let lastProblem = '';
    let empty = false;
    for (const format of ['json3', 'vtt'] as const) {
      trackUrl.searchParams.set('fmt', format);
      const res = await page.context().request.get(trackUrl.href, { timeout: PAGE_TIMEOUT_MS, failOnStatusCode: false });
      const body = await res.text();
      if (!res.ok()) {
        lastProblem = `HTTP ${res.status()} for fmt=${format}`;
        continue;
      }
      const segments = format === 'json3' ? parseJson3(body) : parseVtt(body);
      if (segments && segments.length > 0) return { segments, format };
      if (segments) empty = true;
      else lastProblem = `unreadable fmt=${format} (${body.length} bytes)`;
    }
    if (empty) throw failure('YoutubeNoCaptions', `Auto-generated transcript not available for this video: the ${choice.track.languageCode} track of ${videoId} is empty`);
    throw new Error(`could not read the caption track of ${videoId}: ${lastProblem}`);
  }

  async function storeFiles(input: YoutubeTranscriptInput, videoId: string, language: string, kind: string, segments: TranscriptSegment[]): Promise<YoutubeTranscript['files']> {
    const cues = segments.map((s) => ({ start: s.start, end: s.start + s.duration, text: s.text }));
    const text = segments.map((s) => s.text).join(' ');
    const put = (name: string, body: string, type: string) => deps.storage.putBuffer(`${input.keyPrefix}${name}`, body, type).then((o) => o.url);
    const [srt, vtt, txt, json] = await Promise.all([
      put('transcript.srt', renderSrt(cues), 'application/x-subrip; charset=utf-8'),
      put('transcript.vtt', renderVtt(cues), 'text/vtt; charset=utf-8'),
      put('transcript.txt', `${text}\n`, 'text/plain; charset=utf-8'),
      put('segments.json', `${JSON.stringify({ video_id: videoId, language, kind, segments }, null, 2)}\n`, 'application/json'),
    ]);
    return { srt, vtt, txt, json };
  }

  return { transcribeYoutube };
}
