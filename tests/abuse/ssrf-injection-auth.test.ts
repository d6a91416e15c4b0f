/**
 * Abuse: nobody gets in. SSRF through the API (webhook and media URLs in every form that reaches a
 * private address, redirects to them, names resolving to loopback): refused, nothing fetched. Path
 * traversal in any encoding: 400. Caption text cannot become ASS markup, style values cannot reach the
 * FFmpeg filter graph. Every non-public route wants the key, and the rate limit holds.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captionStyleRequest } from '../../api/schemas/media';
import { downloadToFile } from '../../common/net/download';
import { Guard } from '../../common/net/guarded-fetch';
import { guardedAgent, parseAllowList } from '../../common/net/ssrf';
import { LocalStorage } from '../../common/storage';
import { TASK_QUEUES } from '../../common/temporal';
import { createLocalPrepareEnv } from '../../media/executor';
import { OPERATIONS } from '../../media/operations';
import { escapeAssText, segmentsAss } from '../../media/subtitles';
import { highlightAss } from '../../media/subtitles/highlight';
import { renderKaraokeAss } from '../../media/subtitles/karaoke';
import { renderAss } from '../../media/subtitles/ass';
import { makeTone, makeVideo } from '../helpers/media';
import { startStack, TEST_API_KEY, waitForJob, type Stack } from '../helpers/stack';

/** Records every TCP connection to the private addresses the guard must keep us away from. */
interface Recorder {
  port: number;
  connections: string[];
  close(): Promise<void>;
}

async function startRecorder(hosts: string[]): Promise<Recorder> {
  const connections: string[] = [];
  const servers: TcpServer[] = [];
  let port = 0;
  for (const host of hosts) {
    const server = createTcpServer((socket) => {
      connections.push(`${host}:${port}`);
      socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
    });
    // the same port on every address, so one URL template fits all forms
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
    port = (server.address() as { port: number }).port;
    servers.push(server);
  }
  return { port, connections, close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))).then(() => undefined) };
}

/**
 * A media host the stack may reach (the only allow-listed address, 127.0.0.3): serves real media and
 * redirects wherever /to?u= says, the way a hostile public server would.
 */
async function startMediaHost(dir: string): Promise<{ url: (p: string) => string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/to') {
      res.writeHead(Number(u.searchParams.get('code') ?? 302), { location: u.searchParams.get('u') ?? '/' }).end();
      return;
    }
    try {
      const body = readFileSync(join(dir, u.pathname.slice(1)));
      res.writeHead(200, { 'content-length': body.length }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.3', resolve));
  const port = (server.address() as { port: number }).port;
  return { url: (p) => `http://127.0.0.3:${port}${p}`, close: () => new Promise((r) => server.close(() => r())) };
}

let stack: Stack;
let recorder: Recorder;
let host: Awaited<ReturnType<typeof startMediaHost>>;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'autodark-abuse-'));
  await Promise.all([makeTone(join(dir, 'tone.mp3'), 1), makeVideo(join(dir, 'clip.mp4'), { seconds: 1, size: '320x180' })]);
  await mkdir(join(dir, 'subs'));
  await writeFile(join(dir, 'subs', 'c.srt'), '1\n00:00:00,000 --> 00:00:00,900\nOlá\n');
  recorder = await startRecorder(['127.0.0.2', '127.0.0.1']);
  host = await startMediaHost(dir);
  // nothing private is reachable but the media host: the redirect cases need one reachable first hop
  stack = await startStack({ ALLOWED_PRIVATE_HOSTS: '127.0.0.3', VPS_MAX_CONCURRENT_JOBS: '4' }, { taskQueues: [TASK_QUEUES.orchestration, TASK_QUEUES.mediaCpu] });
});

afterAll(async () => {
  await stack?.stop();
  await recorder?.close();
  await host?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const hook = 'https://hooks.example.com/done';

describe('SSRF', () => {
  // every form of an address the guard must refuse; P = the recorder's port (listening on 127.0.0.1/.2)
  const privateForms = (p: number): [string, string][] => [
    ['loopback', `http://127.0.0.2:${p}/v.mp4`],
    ['decimal IP', `http://2130706434:${p}/v.mp4`],
    ['octal IP', `http://0177.0.0.2:${p}/v.mp4`],
    ['hex IP', `http://0x7f.0.0.2:${p}/v.mp4`],
    ['single hex number', `http://0x7f000002:${p}/v.mp4`],
    ['short form 127.2', `http://127.2:${p}/v.mp4`],
    ['zero-padded', `http://127.000.000.002:${p}/v.mp4`],
    ['IPv4-mapped IPv6', `http://[::ffff:127.0.0.2]:${p}/v.mp4`],
    ['IPv4-mapped IPv6, hex', `http://[::ffff:7f00:2]:${p}/v.mp4`],
    ['IPv4-mapped IPv6, long form', `http://[0:0:0:0:0:ffff:7f00:2]:${p}/v.mp4`],
    ['IPv4-compatible IPv6', `http://[::127.0.0.2]:${p}/v.mp4`],
    ['NAT64 IPv6', `http://[64:ff9b::7f00:2]:${p}/v.mp4`],
    ['6to4 IPv6', `http://[2002:7f00:2::1]:${p}/v.mp4`],
    ['IPv6 loopback', `http://[::1]:${p}/v.mp4`],
    ['IPv6 loopback, long form', `http://[0:0:0:0:0:0:0:1]:${p}/v.mp4`],
    ['unspecified 0.0.0.0', `http://0.0.0.0:${p}/v.mp4`],
    ['unspecified 0', `http://0:${p}/v.mp4`],
    ['unspecified ::', `http://[::]:${p}/v.mp4`],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['AWS IPv6 metadata', 'http://[fd00:ec2::254]/latest/meta-data/'],
    ['10/8', 'http://10.0.0.1/v.mp4'],
    ['172.16/12', 'http://172.16.5.4/v.mp4'],
    ['192.168/16', 'http://192.168.1.1/v.mp4'],
    ['CGNAT', 'http://100.64.0.1/v.mp4'],
    ['benchmarking 198.18/15', 'http://198.18.0.1/v.mp4'],
    ['multicast', 'http://224.0.0.1/v.mp4'],
    ['broadcast', 'http://255.255.255.255/v.mp4'],
    ['IPv6 link-local', 'http://[fe80::1]/v.mp4'],
    ['IPv6 unique-local', 'http://[fc00::1]/v.mp4'],
  ];
  const dnsForms = (p: number): [string, string][] => [
    ['localhost', `http://localhost:${p}/v.mp4`],
    ['LOCALHOST', `http://LOCALHOST:${p}/v.mp4`],
  ];
  const redirectForms = (p: number): [string, string][] =>
    [
      ['302 to loopback', 302, `http://127.0.0.2:${p}/v.mp4`],
      ['307 to loopback', 307, `http://127.0.0.2:${p}/v.mp4`],
      ['301 to decimal IP', 301, `http://2130706434:${p}/v.mp4`],
      ['302 to IPv6 loopback', 302, `http://[::1]:${p}/v.mp4`],
      ['302 to IPv4-mapped IPv6', 302, `http://[::ffff:127.0.0.2]:${p}/v.mp4`],
      ['302 to localhost', 302, `http://localhost:${p}/v.mp4`],
      ['303 to metadata', 303, 'http://169.254.169.254/latest/meta-data/'],
      ['302 to 10/8', 302, 'http://10.1.2.3/v.mp4'],
    ].map(([name, code, target]) => [`redirect ${name}`, host.url(`/to?code=${code}&u=${encodeURIComponent(String(target))}`)] as [string, string]);

  it('refuses every private form as webhook_url at submission, naming webhook_url (400)', async () => {
    const forms = [...privateForms(recorder.port), ...dnsForms(recorder.port)];
    const answers = await Promise.all(
      forms.map(async ([name, webhook]) => {
        const res = await stack.api('/vps/video/addaudio', { method: 'POST', json: { webhook_url: webhook, path: 'p/', url_video: host.url('/clip.mp4'), url_audio: host.url('/tone.mp3'), output_filename: 'o.mp4' } });
        const body = (await res.json()) as { details?: { field: string }[] };
        return `${name}: ${res.status} ${body.details?.map((d) => d.field).join(',')}`;
      }),
    );
    expect(answers).toEqual(forms.map(([name]) => `${name}: 400 webhook_url`));
  });

  it('refuses every private form, redirect and loopback name in the download guard the workers use, fetching nothing', async () => {
    const forms = [...privateForms(recorder.port), ...dnsForms(recorder.port), ...redirectForms(recorder.port)];
    // the worker's guard, built from the same setting the stack runs with
    const allow = parseAllowList(stack.config.ALLOWED_PRIVATE_HOSTS);
    const guard = new Guard(allow, guardedAgent(allow));
    const outcomes = await Promise.all(
      forms.map(async ([name, mediaUrl]) => {
        const err = await downloadToFile(guard, mediaUrl, join(dir, 'never-written'), { label: 'url_video', maxBytes: 1 << 20, timeoutMs: 10_000, attempts: 1 }).then(
          () => new Error('downloaded'),
          (e: Error) => e,
        );
        return `${name}: ${/^url_video: refused to connect/.test(err.message) ? 'refused' : err.message}`;
      }),
    );
    expect(outcomes).toEqual(forms.map(([name]) => `${name}: refused`));
    expect(recorder.connections).toEqual([]);
  });

  it('fails media jobs with a private input (one of each kind) as FAILED naming the input as refused', async () => {
    // end to end through the API and the workers; every form is covered at the guard above
    const all = [...privateForms(recorder.port), ...dnsForms(recorder.port), ...redirectForms(recorder.port)];
    const forms = all.filter(([name]) => ['loopback', 'decimal IP', 'IPv4-mapped IPv6', 'IPv4-compatible IPv6', 'cloud metadata', 'localhost', 'redirect 302 to loopback', 'redirect 302 to IPv6 loopback'].includes(name));
    expect(forms).toHaveLength(8);
    const jobIds = await Promise.all(
      forms.map(async ([, mediaUrl]) => {
        const res = await stack.api('/vps/video/addaudio', { method: 'POST', json: { webhook_url: hook, path: 'abuse/', url_video: mediaUrl, url_audio: host.url('/tone.mp3'), output_filename: 'o.mp4' } });
        expect(res.status).toBe(202);
        return String(((await res.json()) as { jobId: string }).jobId);
      }),
    );
    const outcomes = await Promise.all(jobIds.map(async (id) => waitForJob(stack, id)));
    const summary = outcomes.map((job, i) => `${forms[i][0]}: ${job.status} ${/^url_video: refused to connect/.test(String(job.error)) ? 'refused' : String(job.error)}`);
    expect(summary).toEqual(forms.map(([name]) => `${name}: FAILED refused`));
    expect(recorder.connections).toEqual([]);
  });

  it('never follows a webhook redirect to a private address', async () => {
    const webhook = host.url(`/to?u=${encodeURIComponent(`http://127.0.0.2:${recorder.port}/hook`)}`);
    const res = await stack.api('/vps/video/addaudio', { method: 'POST', json: { webhook_url: webhook, path: 'abuse/', url_video: 'http://10.0.0.1/v.mp4', url_audio: host.url('/tone.mp3'), output_filename: 'o.mp4' } });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    await waitForJob(stack, jobId);
    let view: { error?: string; webhook?: { delivered: boolean; pending: boolean; attempts: { statusCode?: number }[] } } = {};
    for (let i = 0; i < 100 && !(view.webhook && !view.webhook.pending); i++) {
      view = (await (await stack.api(`/jobs/${jobId}`)).json()) as typeof view;
      if (!(view.webhook && !view.webhook.pending)) await new Promise((r) => setTimeout(r, 200));
    }
    // webhooks follow no redirect at all: the redirect is a final answer, nothing reaches the private address
    expect(view.webhook?.delivered).toBe(false);
    expect(view.webhook?.attempts.map((a) => a.statusCode)).toEqual([302]);
    expect(view.error).toMatch(/Webhook failed: receiver answered HTTP 302/);
    expect(recorder.connections).toEqual([]);
  });

  it.each([
    ['file:///etc/passwd'],
    ['gopher://127.0.0.1:70/x'],
    ['ftp://10.0.0.1/x'],
    ['dict://127.0.0.1:11211/stats'],
    ['//127.0.0.2/v.mp4'],
    ['http:/\\127.0.0.2/v.mp4'],
  ])('refuses the non-http URL %s as a media input (400)', async (mediaUrl) => {
    const res = await stack.api('/vps/video/addaudio', { method: 'POST', json: { webhook_url: hook, path: 'p/', url_video: mediaUrl, url_audio: host.url('/tone.mp3'), output_filename: 'o.mp4' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { details: { field: string }[] }).details.map((d) => d.field)).toContain('url_video');
  });
});

describe('path traversal', () => {
  const traversals = [
    '../../etc/',
    'a/../../b/',
    '/etc/',
    '..\\..\\windows\\',
    '%2e%2e/x/',
    '%2E%2E%2Fx/',
    '..%2fx/',
    '..%5cx/',
    '%252e%252e%252fx/',
    '%2fetc/',
    '．．／etc/',
    'a/./b/',
    'a/%2e/b/',
    'x\u0000/../',
  ];
  const routes: [string, (path: string) => Record<string, unknown>][] = [
    ['/vps/video/addaudio', (path) => ({ webhook_url: hook, path, url_video: 'https://m.example/v.mp4', url_audio: 'https://m.example/a.mp3', output_filename: 'o.mp4' })],
    ['/runpod/video/concatenate', (path) => ({ webhook_url: hook, path, video_urls: ['https://m.example/1.mp4', 'https://m.example/2.mp4'], output_filename: 'o.mp4' })],
    ['/vps/audio/concatenate', (path) => ({ audio_urls: [{ audio_url: 'https://m.example/1.mp3' }, { audio_url: 'https://m.example/2.mp3' }], path })],
    ['/runpod/audio/transcribe', (path) => ({ audio_url: 'https://m.example/1.mp3', path })],
    ['/vps/video/transcribe_youtube', (path) => ({ url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ', path })],
    ['/vps/imagem/gerarImagens', (path) => ({ prompts: [{ index: 0, prompt: 'p' }], image_model: 'runware:101@1', altura: 1024, largura: 1024, path })],
  ];
  const cases = routes.flatMap(([route, body]) => traversals.map((t) => [route, t, body(t)] as const));

  it(`refuses ${cases.length} traversal forms in path on every family with 400 naming path`, async () => {
    const before = (await stack.runtime.client.workflow.count()).count;
    const answers = await Promise.all(
      cases.map(async ([route, t, body]) => {
        const res = await stack.api(route, { method: 'POST', json: body });
        const json = (await res.json()) as { details?: { field: string }[] };
        return `${route} ${JSON.stringify(t)}: ${res.status} ${json.details?.map((d) => d.field).join(',')}`;
      }),
    );
    expect(answers).toEqual(cases.map(([route, t]) => `${route} ${JSON.stringify(t)}: 400 path`));
    expect((await stack.runtime.client.workflow.count()).count).toBe(before);
  });

  it.each(['../o.mp4', 'a/o.mp4', '..', '.', '%2e%2e%2fo.mp4', 'o%2F..%2F..%2Fx.mp4', '..\\o.mp4', '．．／o.mp4', 'o\u202Efdp.mp4', '%00.mp4'.replace('%00', '\u0000')])(
    'refuses output_filename %j with 400 naming output_filename',
    async (name) => {
      const res = await stack.api('/vps/video/addaudio', { method: 'POST', json: { webhook_url: hook, path: 'p/', url_video: 'https://m.example/v.mp4', url_audio: 'https://m.example/a.mp3', output_filename: name } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { details: { field: string }[] }).details.map((d) => d.field)).toContain('output_filename');
    },
  );
});

/**
 * Reads ASS event text the way libass does: {…} is an override block; \N a line break; \{ and \} are
 * literal braces; any other backslash is literal. Returns the override blocks and the displayed text
 * (with our invisible WORD JOINER after literal backslashes removed).
 */
function readAssText(text: string): { blocks: string[]; shown: string } {
  const blocks: string[] = [];
  let shown = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '{') {
      const end = text.indexOf('}', i);
      blocks.push(text.slice(i, end === -1 ? text.length : end + 1));
      i = end === -1 ? text.length : end;
    } else if (ch === '\\' && 'N{}'.includes(text[i + 1] ?? '')) {
      shown += text[i + 1] === 'N' ? '\n' : text[i + 1];
      i++;
    } else shown += ch;
  }
  return { blocks, shown: shown.replace(/\u2060/g, '') };
}

function dialogueTexts(ass: string): string[] {
  return ass
    .split('\n')
    .filter((l) => l.startsWith('Dialogue: '))
    .map((l) => l.split(',').slice(9).join(','));
}

describe('ASS injection in caption text', () => {
  const hostile = ['{\\pos(0,0)}Olá', '{\\fs200}grande', 'linha\\Nquebrada', 'duas\nlinhas', '{chaves}', '\\{\\}', '}{', 'a\\h\\nb', '{\\k50}x', '\\', '{\\fnComic Sans\\c&H0000FF&}'];

  it.each(hostile)('escapeAssText(%j) shows exactly the text, with no override block', (text) => {
    const { blocks, shown } = readAssText(escapeAssText(text));
    expect(blocks).toEqual([]);
    expect(shown).toBe(text);
  });

  it('segments: hostile cues render literally, one event per cue, newlines as line breaks', () => {
    const cues = hostile.map((text, i) => ({ start: i, end: i + 0.9, text }));
    const style = captionStyleRequest.parse({ webhook_url: hook, path: 'p/', url_video: 'https://m.example/v.mp4', url_caption: 'https://m.example/c.srt', output_filename: 'o.mp4', type: 'segments' }).style as Parameters<typeof segmentsAss>[1];
    const texts = dialogueTexts(segmentsAss(cues, style, { fontName: 'DejaVu Sans', uppercase: false }));
    expect(texts).toHaveLength(cues.length);
    texts.forEach((t, i) => {
      const { blocks, shown } = readAssText(t);
      expect(blocks).toEqual([]);
      // the segments writer trims lines and breaks after ". ": compare line by line
      expect(shown.split('\n')).toEqual(hostile[i].split('\n').map((l) => l.trim()).filter(Boolean));
    });
  });

  it('highlight: the only override blocks are our own colour/alpha tags; words show literally', () => {
    const words = ['{\\pos(0,0)}a', '{\\fs200}b', 'c\\Nd', '}{'].map((word, i) => ({ word, start: i, end: i + 0.8 }));
    const style = (captionStyleRequest.parse({ webhook_url: hook, path: 'p/', url_video: 'https://m.example/v.mp4', url_caption: 'https://m.example/c.json', output_filename: 'o.mp4', type: 'highlight', style: { words_per_line: 10 } }) as { style: Parameters<typeof highlightAss>[1] }).style;
    const texts = dialogueTexts(highlightAss([words], style, { fontName: 'DejaVu Sans', uppercase: false }));
    expect(texts.length).toBe(1 + words.length);
    for (const t of texts) {
      const { blocks, shown } = readAssText(t);
      for (const b of blocks) expect(b).toMatch(/^\{(\\r|\\alpha&H[0-9A-F]{2}&|\\1c&H[0-9A-F]{6}&|\\3c&H[0-9A-F]{6}&|\\bord\d+)+\}$/);
      expect(shown).toBe(words.map((w) => w.word).join(' '));
    }
  });

  it('karaoke: the only override blocks are \\k timings', () => {
    const words = ['{\\fs200}x', '{\\pos(1,1)}', 'ok\\N'].map((word, i) => ({ word, start: i * 0.5, end: i * 0.5 + 0.4 }));
    const [text] = dialogueTexts(renderKaraokeAss(words));
    const { blocks, shown } = readAssText(text);
    for (const b of blocks) expect(b).toMatch(/^\{\\k\d+\}$/);
    expect(shown).toBe(words.map((w) => w.word).join(' '));
  });

  it('a style value cannot add Style fields or sections to the document', () => {
    const ass = renderAss({
      playResX: 1920,
      playResY: 1080,
      styles: [{ name: 'X,1\n[Events]', fontName: 'Evil,99,&H00FFFFFF\nDialogue: 0,0:00:00.00,0:00:09.00,X,,0,0,0,,pwned', fontSize: 40, primary: '&H00FFFFFF', secondary: '&H00FFFFFF', outline: '&H00000000', back: '&H00000000', bold: false, italic: false, borderStyle: 1, outlineWidth: 1, shadow: 0, alignment: 2, marginL: 0, marginR: 0, marginV: 0 }],
      events: [],
    });
    const styleLines = ass.split('\n').filter((l) => l.startsWith('Style: '));
    expect(styleLines).toHaveLength(1);
    expect(styleLines[0].split(',')).toHaveLength(23);
    expect(ass).not.toMatch(/^Dialogue:/m);
    expect(ass.match(/^\[Events\]$/gm)).toHaveLength(1);
  });
});

describe('FFmpeg filter syntax in style fields', () => {
  const evilFonts = ["Arial:fontfile=/etc/passwd", "Arial'", "Arial,drawtext=text=pwned", 'Arial[v];[v]nullsink', 'Arial;x', "Sans':force_style='Fontsize=200", 'Arial\\:x', 'Arial=1'];
  const base = { webhook_url: hook, path: 'p/', output_filename: 'o.mp4' };

  it.each(evilFonts)('refuses the font %j with 400 naming the style field, on both style shapes', async (font) => {
    const before = (await stack.runtime.client.workflow.count()).count;
    for (const [route, body, field] of [
      ['/vps/video/caption_style', { ...base, url_video: host.url('/clip.mp4'), url_caption: host.url('/subs/c.srt'), type: 'segments', style: { font: { name: font } } }, 'style.font.name'],
      ['/runpod/video/caption_style', { ...base, url_video: host.url('/clip.mp4'), url_caption: host.url('/subs/c.srt'), type: 'karaoke_srt', style: { fonte: font } }, 'style.fonte'],
    ] as const) {
      const res = await stack.api(route, { method: 'POST', json: body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { details: { field: string }[] }).details.map((d) => d.field)).toContain(field);
    }
    expect((await stack.runtime.client.workflow.count()).count).toBe(before);
  });

  /** The plan caption_style builds for a font name, bypassing the API's schema check. */
  async function planFor(font: string) {
    const workDir = await mkdtemp(join(dir, 'plan-'));
    const allow = parseAllowList(['127.0.0.3']);
    const guard = new Guard(allow, guardedAgent(allow));
    const signal = new AbortController().signal;
    const request = captionStyleRequest.parse({ ...base, url_video: host.url('/clip.mp4'), url_caption: host.url('/subs/c.srt'), type: 'segments' }) as { style: { font: { name: string } } };
    request.style.font.name = font;
    const env = createLocalPrepareEnv({
      jobId: 'abuse-plan',
      workDir,
      signal,
      progress: () => undefined,
      storage: new LocalStorage(join(workDir, 'store'), 'http://127.0.0.1:9', 'k'),
      download: (url, label, dest) => downloadToFile(guard, url, dest, { label, maxBytes: 64 * 1024 * 1024, timeoutMs: 30_000, signal }).then(() => undefined),
    });
    try {
      return await OPERATIONS.caption_style.prepare(request as never, env);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  it.each(evilFonts)('even past the schema, the font %j is refused naming the field, never reaching argv', async (font) => {
    await expect(planFor(font)).rejects.toThrow(/style\.font\.name: font .* is not installed/);
  });

  it('a font that resolves reaches only the ASS file: the filter graph names the file, never the style', async () => {
    const { plan } = await planFor('Arial');
    const argv = plan.steps.flatMap((s) => s.argv);
    expect(argv[argv.indexOf('-vf') + 1]).toBe('ass=filename={file:captions.ass}');
    expect(argv.join(' ')).not.toMatch(/Arial|Liberation|DejaVu/);
    const ass = plan.files?.find((f) => f.name === 'captions.ass')?.content ?? '';
    expect(ass).toMatch(/^Style: Caption,[^,:;'[\]]+,/m);
  });
});

describe('authentication', () => {
  const PUBLIC = [/^\/$/, /^\/health$/, /^\/vps\/audio\/health$/, /^\/runpod\/audio\/transcribe(-whisper)?\/health$/, /^\/docs(\/.*)?$/, /^\/\*$/];

  /** Every registered method + path, from Fastify's own route table (printRoutes draws it as a tree). */
  function registeredRoutes(): [string, string][] {
    const out: [string, string][] = [];
    const segments: string[] = [];
    for (const line of stack.app.printRoutes({ commonPrefix: false }).split('\n')) {
      const m = /^([│ ]*)[├└]── (\S+) \(([A-Z, ]+)\)$/.exec(line);
      if (!m) continue;
      const depth = m[1].length / 4;
      segments.length = depth;
      segments.push(m[2]);
      const path = segments.join('');
      for (const method of m[3].split(', ')) out.push([method, path]);
    }
    return out;
  }

  /**
   * A URL that reaches the route. printRoutes draws wildcards under their common prefix only: "/docs/*"
   * is swagger-ui's /docs/static/*, and "/*" is /files/* (the only route with PUT).
   */
  const WILDCARDS: Record<string, string> = { '/docs/*': '/docs/static/index.css', '/*': '/files/abuse/nothing-here.txt' };
  const concrete = (path: string) => WILDCARDS[path] ?? path.replace(/:[A-Za-z]+/g, '00000000-0000-4000-8000-000000000000');

  it('every route but health, docs and files answers 401 without the key; those answer without it', async () => {
    const routes = registeredRoutes();
    // the table really is the app's: the media, job and admin routes are all there
    expect(routes.length).toBeGreaterThan(30);
    expect(routes).toEqual(expect.arrayContaining([['POST', '/vps/video/img2vid'], ['GET', '/jobs/:jobId'], ['POST', '/admin/recover-workers'], ['GET', '/metrics']]));
    const results = await Promise.all(
      routes
        .filter(([method]) => method !== 'OPTIONS') // CORS preflights: checked below
        .map(async ([method, path]) => {
          const res = await fetch(`${stack.url}${concrete(path)}`, { method, headers: method === 'POST' || method === 'PUT' ? { 'content-type': 'application/json' } : {}, body: method === 'POST' || method === 'PUT' ? '{}' : undefined });
          await res.arrayBuffer();
          const isPublic = PUBLIC.some((p) => p.test(path));
          return `${method} ${path}: ${isPublic ? (res.status === 401 ? 'locked' : 'open') : res.status}`;
        }),
    );
    expect(results).toEqual(
      routes.filter(([method]) => method !== 'OPTIONS').map(([method, path]) => `${method} ${path}: ${PUBLIC.some((p) => p.test(path)) ? 'open' : 401}`),
    );
  });

  it('answers a CORS preflight without the key (browsers never send it on OPTIONS)', async () => {
    const res = await fetch(`${stack.url}/vps/video/addaudio`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key,content-type' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBeTruthy();
  });

  it.each([
    ['empty', ''],
    ['one character', 'x'],
    ['the key minus its last character', TEST_API_KEY.slice(0, -1)],
    ['the key plus one character', `${TEST_API_KEY}0`],
    ['the key in another case', TEST_API_KEY.toUpperCase()],
    ['8 KB', 'k'.repeat(8192)],
    ['non-ASCII', 'chave-ç-🎬'],
  ])('refuses a key that is %s with 401 (different lengths never crash the constant-time compare)', async (_what, key) => {
    const res = await fetch(`${stack.url}/queue/stats`, { headers: { 'x-api-key': Buffer.from(key, 'utf8').toString('latin1') } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Unauthorized', message: 'Invalid or missing API key' });
  });

  it('refuses the key in the query string or a Basic header; accepts it as a Bearer token', async () => {
    expect((await fetch(`${stack.url}/queue/stats?x-api-key=${TEST_API_KEY}`)).status).toBe(401);
    expect((await fetch(`${stack.url}/queue/stats`, { headers: { authorization: `Basic ${Buffer.from(`u:${TEST_API_KEY}`).toString('base64')}` } })).status).toBe(401);
    expect((await fetch(`${stack.url}/queue/stats`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } })).status).toBe(200);
  });

  it('compares the key in constant time: digests of equal length through crypto.timingSafeEqual', () => {
    // a timing test would be flaky on a shared 2-core runner; the property is structural, so check it
    const source = readFileSync(join(__dirname, '../../api/auth.ts'), 'utf8');
    expect(source).toMatch(/timingSafeEqual\(digest, expected\)/);
    expect(source).toMatch(/createHash\('sha256'\)\.update\(apiKey\)/);
    expect(source).not.toMatch(/given\s*[!=]==?\s*apiKey|apiKey\s*[!=]==?\s*given/);
  });
});

describe('rate limit', () => {
  let limited: Stack;
  beforeAll(async () => {
    limited = await startStack({ RATE_LIMIT_MAX: '20', RATE_LIMIT_WINDOW_MS: '60000' }, { workers: false });
  });
  afterAll(() => limited?.stop());

  it('answers the 21st request in the window with 429 while health stays up', async () => {
    const healthBefore = (await fetch(`${limited.url}/health`)).status;
    const first20 = await Promise.all(Array.from({ length: 20 }, () => limited.api('/queue/stats').then((r) => r.status)));
    expect(first20).toEqual(Array(20).fill(200));
    const keyed = await limited.api('/queue/stats');
    expect(keyed.status).toBe(429);
    expect(await keyed.json()).toMatchObject({ error: 'Too Many Requests' });
    expect((await limited.api('/vps/video/addaudio', { method: 'POST', json: {} })).status).toBe(429);
    const health = await Promise.all(Array.from({ length: 5 }, () => fetch(`${limited.url}/health`).then((r) => r.status)));
    expect(health).toEqual(Array(5).fill(healthBefore));
    expect(healthBefore).not.toBe(429);
  });

  it('throttles key guessing too: wrong-key requests count against the limit', async () => {
    const guesser = await startStack({ RATE_LIMIT_MAX: '20', RATE_LIMIT_WINDOW_MS: '60000' }, { workers: false });
    try {
      const guesses = await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${guesser.url}/queue/stats`, { headers: { 'x-api-key': `guess-${i}` } }).then((r) => r.status)));
      expect(guesses).toEqual(Array(20).fill(401));
      expect((await fetch(`${guesser.url}/queue/stats`, { headers: { 'x-api-key': 'guess-21' } })).status).toBe(429);
      // even the right key waits for the window now
      expect((await guesser.api('/queue/stats')).status).toBe(429);
    } finally {
      await guesser.stop();
    }
  });
});
