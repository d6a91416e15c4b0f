/**
 * A local site that reproduces what the transcript code reads from YouTube (live YouTube is not
 * reachable from the test machines): /watch?v=ID pages carrying `var ytInitialPlayerResponse = {...}`
 * (playabilityStatus, videoDetails, captions.playerCaptionsTracklistRenderer with captionTracks and
 * translationLanguages), and /api/timedtext answering fmt=json3 and fmt=vtt in YouTube's layouts,
 * including the rolling lines of auto-generated WebVTT.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';

export interface FakeCue {
  /** seconds */
  start: number;
  dur: number;
  text: string;
}

export interface FakeTrack {
  lang: string;
  name: string;
  /** auto-generated (kind "asr") */
  asr?: boolean;
  translatable?: boolean;
  cues: FakeCue[];
  /** answer fmt=json3 with an empty body, as YouTube sometimes does (the client must fall back to vtt) */
  emptyJson3?: boolean;
}

export interface FakeVideo {
  id: string;
  title?: string;
  playability?: { status: string; reason: string };
  tracks?: FakeTrack[];
  translationLanguages?: { code: string; name: string }[];
  /** the watch page never answers */
  hang?: boolean;
}

export interface FakeYoutube {
  url: string;
  /** paths requested so far */
  requests: string[];
  /** watch-page requests still held open by `hang` videos */
  readonly hangingNow: number;
  close(): Promise<void>;
}

function playerResponse(site: string, v: FakeVideo) {
  const response: Record<string, unknown> = {
    playabilityStatus: v.playability ?? { status: 'OK', playableInEmbed: true },
    videoDetails: { videoId: v.id, title: v.title ?? `Video ${v.id}`, lengthSeconds: '60' },
  };
  if (v.tracks && v.tracks.length > 0) {
    response.captions = {
      playerCaptionsTracklistRenderer: {
        captionTracks: v.tracks.map((t) => ({
          baseUrl: `${site}/api/timedtext?v=${v.id}&caps=asr&opi=112496729&xoaf=5&hl=en&ip=0.0.0.0&ipbits=0&expire=1999999999&sparams=ip,ipbits,expire,v,caps,opi,xoaf&signature=ABC.DEF&key=yt8${t.asr ? '&kind=asr' : ''}&lang=${t.lang}`,
          name: { simpleText: t.name },
          vssId: `${t.asr ? 'a' : ''}.${t.lang}`,
          languageCode: t.lang,
          ...(t.asr ? { kind: 'asr' } : {}),
          isTranslatable: t.translatable ?? false,
          trackName: '',
        })),
        audioTracks: [{ captionTrackIndices: v.tracks.map((_, i) => i), defaultCaptionTrackIndex: 0 }],
        translationLanguages: (v.translationLanguages ?? []).map((l) => ({ languageCode: l.code, languageName: { simpleText: l.name } })),
        defaultAudioTrackIndex: 0,
      },
    };
  }
  return response;
}

function watchPage(site: string, v: FakeVideo): string {
  // the real page: a big HTML document whose inline script assigns the player response
  return `<!DOCTYPE html><html lang="en"><head><title>${v.title ?? v.id} - YouTube</title>
<link rel="stylesheet" href="/s/desktop/app.css"><script src="/s/player/base.js"></script></head>
<body><ytd-app><div id="player"></div><ytd-watch-flexy video-id="${v.id}"></ytd-watch-flexy></ytd-app>
<script nonce="x">var ytInitialPlayerResponse = ${JSON.stringify(playerResponse(site, v))};var meta = document.createElement('meta');</script>
<img src="/vi/${v.id}/hqdefault.jpg"></body></html>`;
}

const ms = (s: number) => Math.round(s * 1000);

/** json3 as YouTube sends it: a window-definition event, word pieces with offsets, "\n" append events. */
function json3(track: FakeTrack, transform: (t: string) => string): string {
  const events: unknown[] = [{ tStartMs: 0, dDurationMs: ms(track.cues.at(-1)!.start + track.cues.at(-1)!.dur), id: 1, wpWinPosId: 1, wsWinStyleId: 1 }];
  for (const cue of track.cues) {
    const words = transform(cue.text).split(' ');
    events.push({
      tStartMs: ms(cue.start),
      dDurationMs: ms(cue.dur),
      wWinId: 1,
      segs: words.map((w, i) => (i === 0 ? { utf8: w, acAsrConf: 0 } : { utf8: ` ${w}`, tOffsetMs: i * 200, acAsrConf: 0 })),
    });
    if (track.asr) events.push({ tStartMs: ms(cue.start + cue.dur) - 10, dDurationMs: 10, wWinId: 1, aAppend: 1, segs: [{ utf8: '\n' }] });
  }
  return JSON.stringify({ wireMagic: 'pb3', pens: [{}], wsWinStyles: [{}], wpWinPositions: [{}], events });
}

function clock(s: number): string {
  const t = ms(s);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(Math.floor(t / 3_600_000))}:${pad(Math.floor(t / 60_000) % 60)}:${pad(Math.floor(t / 1000) % 60)}.${pad(t % 1000, 3)}`;
}

/** WebVTT: plain cues for uploaded tracks; for asr, each cue repeats the previous line and a 10 ms cue holds it. */
function vtt(track: FakeTrack, transform: (t: string) => string): string {
  const out = ['WEBVTT', 'Kind: captions', `Language: ${track.lang}`, ''];
  let previous = '';
  for (const cue of track.cues) {
    const text = transform(cue.text).replace(/&/g, '&amp;');
    if (!track.asr) {
      out.push(`${clock(cue.start)} --> ${clock(cue.start + cue.dur)}`, text, '');
      continue;
    }
    const words = text.split(' ');
    const timed = words.map((w, i) => (i === 0 ? w : `<${clock(cue.start + i * 0.2)}><c> ${w}</c>`)).join('');
    out.push(`${clock(cue.start)} --> ${clock(cue.start + cue.dur - 0.01)} align:start position:0%`, previous || ' ', timed, '');
    out.push(`${clock(cue.start + cue.dur - 0.01)} --> ${clock(cue.start + cue.dur)} align:start position:0%`, text, ' ', '');
    previous = text;
  }
  return out.join('\n');
}

export async function startFakeYoutube(videos: FakeVideo[]): Promise<FakeYoutube> {
  const byId = new Map(videos.map((v) => [v.id, v]));
  const requests: string[] = [];
  const hanging = new Set<import('node:http').ServerResponse>();
  const sockets = new Set<Socket>();
  let site = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', site);
    requests.push(`${url.pathname}${url.search}`);
    if (url.pathname === '/watch') {
      const video = byId.get(url.searchParams.get('v') ?? '');
      if (video?.hang) {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (!video) {
        // what YouTube serves for an id that never existed: a page whose player says ERROR
        const missing: FakeVideo = { id: url.searchParams.get('v') ?? '', playability: { status: 'ERROR', reason: 'Video unavailable' } };
        return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(watchPage(site, missing));
      }
      return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'set-cookie': 'VISITOR_INFO1_LIVE=fake; Path=/' }).end(watchPage(site, video));
    }
    if (url.pathname === '/api/timedtext') {
      const video = byId.get(url.searchParams.get('v') ?? '');
      const asr = url.searchParams.get('kind') === 'asr';
      const track = video?.tracks?.find((t) => t.lang === url.searchParams.get('lang') && Boolean(t.asr) === asr);
      if (!track || url.searchParams.get('signature') !== 'ABC.DEF') return res.writeHead(404).end();
      const tlang = url.searchParams.get('tlang');
      const transform = (t: string) => (tlang ? `(${tlang}) ${t}` : t);
      const fmt = url.searchParams.get('fmt');
      if (fmt === 'json3') {
        return res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' }).end(track.emptyJson3 ? '' : json3(track, transform));
      }
      if (fmt === 'vtt') return res.writeHead(200, { 'content-type': 'text/vtt; charset=UTF-8' }).end(vtt(track, transform));
      return res.writeHead(200, { 'content-type': 'text/xml' }).end('<?xml version="1.0" encoding="utf-8" ?><transcript></transcript>');
    }
    // stylesheets, player scripts, thumbnails: the pool blocks most of these; scripts get an empty body
    res.writeHead(url.pathname.endsWith('.js') ? 200 : 404, { 'content-type': 'text/javascript' }).end('');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  site = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url: site,
    requests,
    get hangingNow() {
      return hanging.size;
    },
    close: () =>
      new Promise<void>((r) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  };
}
