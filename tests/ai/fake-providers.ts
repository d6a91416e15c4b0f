/**
 * Local stand-ins for OpenRouter (OpenAI-compatible POST /chat/completions) and Runware (POST of a
 * JSON array of tasks, {"data": [...]} / {"errors": [...]}), speaking their documented formats,
 * error bodies and status codes. Behaviour is steered by words in the scene text or prompt:
 *   MALFORMED_ONCE / MALFORMED_ALWAYS  the model answers prose instead of the JSON object
 *   RATE_LIMIT_ONCE / RATE_LIMIT_ALWAYS  429 with Retry-After: 1
 *   SERVER_ERROR_ONCE  a 502 first
 *   REJECT  400 about the request itself
 *   HANG  never answers
 * and by `expectedKey` / `outOfCredits`, which the tests change to provoke 401 and 402.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Recorded {
  at: number;
  authorization?: string;
  body: unknown;
}

export interface FakeProvider {
  url: string;
  expectedKey: string;
  outOfCredits: boolean;
  requests: Recorded[];
  close(): Promise<void>;
}

interface Served {
  expectedKey: string;
  outOfCredits: boolean;
  requests: Recorded[];
}

async function serve(expectedKey: string, handle: (body: unknown, req: IncomingMessage, res: ServerResponse, state: Served) => void): Promise<FakeProvider> {
  const state: Served = { expectedKey, outOfCredits: false, requests: [] };
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      state.requests.push({ at: Date.now(), authorization: req.headers.authorization, body });
      handle(body, req, res, state);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get expectedKey() {
      return state.expectedKey;
    },
    set expectedKey(v: string) {
      state.expectedKey = v;
    },
    get outOfCredits() {
      return state.outOfCredits;
    },
    set outOfCredits(v: boolean) {
      state.outOfCredits = v;
    },
    requests: state.requests,
    close: () =>
      new Promise<void>((r) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => r());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

/** Counts how often each text was seen, so "_ONCE" behaviours happen on the first attempt only. */
function attempts() {
  const seen = new Map<string, number>();
  return (text: string) => {
    const n = (seen.get(text) ?? 0) + 1;
    seen.set(text, n);
    return n;
  };
}

export function startFakeOpenRouter(expectedKey: string): Promise<FakeProvider> {
  const attempt = attempts();
  return serve(expectedKey, (body, req, res, state) => {
    if (req.method !== 'POST' || req.url !== '/api/v1/chat/completions') return json(res, 404, { error: { code: 404, message: 'Not Found' } });
    // OpenRouter's error body: {"error": {"code", "message"}}; this one echoes the key it was sent
    if (req.headers.authorization !== `Bearer ${state.expectedKey}`) return json(res, 401, { error: { code: 401, message: `No auth credentials found for key ${req.headers.authorization ?? ''}` } });
    if (state.outOfCredits) return json(res, 402, { error: { code: 402, message: 'Insufficient credits. Add more using https://openrouter.ai/credits' } });
    const b = body as { model?: string; messages?: { role: string; content: string }[] };
    const user = b.messages?.find((m) => m.role === 'user')?.content ?? '';
    const scene = /### SCENE \d+\n(.*)/.exec(user)?.[1] ?? '';
    const n = attempt(scene);
    if (scene.includes('HANG')) return;
    if (scene.includes('RATE_LIMIT_ALWAYS') || (scene.includes('RATE_LIMIT_ONCE') && n === 1)) {
      return json(res, 429, { error: { code: 429, message: 'Rate limit exceeded: free-models-per-min' } }, { 'retry-after': '1' });
    }
    if (scene.includes('SERVER_ERROR_ONCE') && n === 1) return json(res, 502, { error: { code: 502, message: 'Provider returned error' } });
    if (scene.includes('REJECT')) return json(res, 400, { error: { code: 400, message: `${b.model} is not a valid model ID` } });
    const malformed = scene.includes('MALFORMED_ALWAYS') || (scene.includes('MALFORMED_ONCE') && n === 1);
    const content = malformed ? `Sure! Here is a prompt for you: ${scene}` : JSON.stringify({ prompt: `cinematic still of ${scene}` });
    json(res, 200, {
      id: `gen-${n}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: b.model,
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
      usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
    });
  });
}

/** JPEGs made with ffmpeg, one colour per prompt, so each stored image can be traced to its prompt. */
function jpeg(colour: string, width: number, height: number, dir: string): Buffer {
  const out = join(dir, `${colour}-${width}x${height}.jpg`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `color=c=${colour}:s=${width}x${height}`, '-frames:v', '1', out]);
  return readFileSync(out);
}

export interface FakeRunware extends FakeProvider {
  /** sha256 of the image sent for each prompt */
  sentImages: Map<string, string>;
}

export async function startFakeRunware(expectedKey: string): Promise<FakeRunware> {
  const attempt = attempts();
  const dir = mkdtempSync(join(tmpdir(), 'fake-runware-'));
  const colours = ['red', 'green', 'blue', 'yellow', 'purple', 'orange', 'white', 'black'];
  const sentImages = new Map<string, string>();
  const errors = (res: ServerResponse, status: number, code: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    json(res, status, { errors: [{ code, message, ...extra }] }, headers);
  const provider = await serve(expectedKey, (body, req, res, state) => {
    if (req.method !== 'POST' || req.url !== '/v1') return errors(res, 404, 'notFound', 'Not found');
    if (req.headers.authorization !== `Bearer ${state.expectedKey}`) {
      return errors(res, 401, 'invalidApiKey', `Invalid API key ${req.headers.authorization ?? ''}. Get one at https://my.runware.ai/signup`, { parameter: 'apiKey', taskType: 'authentication' });
    }
    const task = Array.isArray(body) ? (body[0] as Record<string, unknown>) : undefined;
    if (!task || task.taskType !== 'imageInference' || typeof task.taskUUID !== 'string') return errors(res, 400, 'invalidTask', 'Expected an array of imageInference tasks');
    const common = { taskType: 'imageInference', taskUUID: task.taskUUID };
    if (state.outOfCredits) return errors(res, 402, 'insufficientCredits', 'Insufficient credits to process the request', common);
    const prompt = String(task.positivePrompt);
    const n = attempt(prompt);
    if (prompt.includes('HANG')) return;
    if (prompt.includes('RATE_LIMIT_ALWAYS') || (prompt.includes('RATE_LIMIT_ONCE') && n === 1)) {
      return errors(res, 429, 'rateLimitExceeded', 'Too many requests, queue capacity exceeded', common, { 'retry-after': '1' });
    }
    if (prompt.includes('SERVER_ERROR_ONCE') && n === 1) return errors(res, 503, 'serviceUnavailable', 'Temporary capacity constraint', common);
    if (prompt.includes('REJECT')) return errors(res, 400, 'invalidPositivePrompt', 'The prompt was flagged by the content filter', { ...common, parameter: 'positivePrompt' });
    const image = jpeg(colours[sentImages.size % colours.length], Number(task.width), Number(task.height), dir);
    sentImages.set(prompt, createHash('sha256').update(image).digest('hex'));
    json(res, 200, { data: [{ ...common, imageUUID: `img-${n}-${sentImages.size}`, imageBase64Data: image.toString('base64'), seed: 42, cost: 0.0013 }] });
  });
  const close = provider.close;
  return Object.assign(provider, {
    sentImages,
    close: async () => {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
