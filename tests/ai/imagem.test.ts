/**
 * /vps/imagem/gerarPrompts and /vps/imagem/gerarImagens end to end: API → workflow → provider
 * activities → local servers speaking OpenRouter's and Runware's formats → stored images. Also checks
 * that neither API key ever shows in a response, a log line or the workflow history.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TASK_QUEUES } from '../../common/temporal';
import { startStack, type Stack } from '../helpers/stack';
import { startFakeOpenRouter, startFakeRunware, type FakeProvider, type FakeRunware } from './fake-providers';

const OPENROUTER_KEY = 'sk-or-v1-SECRET-openrouter-0123456789abcdef';
const RUNWARE_KEY = 'rw-SECRET-runware-fedcba9876543210';
const DEADLINE_MS = 8_000;

let openrouter: FakeProvider;
let runware: FakeRunware;
let stack: Stack;
const logged: string[] = [];
const realWrites = { stdout: process.stdout.write, stderr: process.stderr.write };

beforeAll(async () => {
  // every log line of the API (pino writes through process.stdout once it is wrapped) and of the
  // Temporal workers (their logger writes to process.stderr)
  for (const stream of [process.stdout, process.stderr]) {
    stream.write = ((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    }) as typeof stream.write;
  }
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
  }
  openrouter = await startFakeOpenRouter(OPENROUTER_KEY);
  runware = await startFakeRunware(RUNWARE_KEY);
  stack = await startStack(
    {
      LOG_LEVEL: 'debug',
      OPENROUTER_API_KEY: OPENROUTER_KEY,
      OPENROUTER_BASE_URL: `${openrouter.url}/api/v1`,
      RUNWARE_API_KEY: RUNWARE_KEY,
      RUNWARE_BASE_URL: `${runware.url}/v1`,
      IMAGEM_DEADLINE_MS: String(DEADLINE_MS),
    },
    { taskQueues: [TASK_QUEUES.orchestration] },
  );
});
afterAll(async () => {
  await stack?.stop();
  await openrouter?.close();
  await runware?.close();
  process.stdout.write = realWrites.stdout;
  process.stderr.write = realWrites.stderr;
  vi.restoreAllMocks();
});

const scriptFields = { estilo: 'oil painting', detalhe_estilo: 'warm light, thick brush strokes', roteiro: 'A short story about a town by the sea.', agente: 'You write prompts for an image model.' };

async function post(path: string, json: unknown): Promise<{ status: number; headers: Headers; text: string; body: Record<string, unknown> & { failures: Record<string, unknown>[] } }> {
  const res = await stack.api(path, { method: 'POST', json });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) };
}

const prompts = (json: unknown) => post('/vps/imagem/gerarPrompts', json);
const images = (json: unknown) => post('/vps/imagem/gerarImagens', json);
const requestsFor = (p: FakeProvider, word: string) => p.requests.filter((r) => JSON.stringify(r.body).includes(word));

describe('gerarPrompts', () => {
  it('turns each scene into a prompt, sorted by index, asking the default model for strict JSON', async () => {
    const before = openrouter.requests.length;
    const { status, body } = await prompts({
      cenas: [{ index: 2, texto: 'a lighthouse at dusk' }, { index: 0, texto: 'a cat on a roof' }, { index: 1, texto: 'rain over the harbour' }],
      ...scriptFields,
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      code: 200,
      message: 'Prompts generated successfully',
      prompts: [
        { index: 0, prompt: 'cinematic still of a cat on a roof' },
        { index: 1, prompt: 'cinematic still of rain over the harbour' },
        { index: 2, prompt: 'cinematic still of a lighthouse at dusk' },
      ],
      stats: { totalScenes: 3, promptsGenerated: 3, promptsFailed: 0, successRate: '100.0%' },
      failures: [],
      model: 'google/gemini-2.0-flash',
    });
    expect(body.execution).toMatchObject({ durationMs: expect.any(Number), startTime: expect.any(String), endTime: expect.any(String) });
    expect(typeof body.requestId).toBe('string');

    const sent = openrouter.requests.slice(before);
    expect(sent).toHaveLength(3);
    for (const r of sent) {
      const b = r.body as { model: string; messages: { role: string; content: string }[]; response_format: { type: string } };
      expect(r.authorization).toBe(`Bearer ${OPENROUTER_KEY}`);
      expect(b.model).toBe('google/gemini-2.0-flash');
      expect(b.response_format.type).toBe('json_schema');
      expect(b.messages[0]).toMatchObject({ role: 'system', content: expect.stringMatching(/^You write prompts for an image model\./) });
      expect(b.messages[1].content).toContain(scriptFields.roteiro);
      expect(b.messages[1].content).toContain(scriptFields.detalhe_estilo);
    }
    const described = await stack.runtime.client.workflow.getHandle(String(body.workflowId)).describe();
    expect(described).toMatchObject({ type: 'generatePrompts', status: { name: 'COMPLETED' } });
  });

  it('uses the model named in the request', async () => {
    const { status, body } = await prompts({ cenas: [{ index: 0, texto: 'a model-specific scene' }], ...scriptFields, model: 'openai/gpt-4o-mini' });
    expect(status).toBe(200);
    expect(body.model).toBe('openai/gpt-4o-mini');
    expect((requestsFor(openrouter, 'a model-specific scene')[0].body as { model: string }).model).toBe('openai/gpt-4o-mini');
  });

  it('asks again when the answer is not the JSON object', async () => {
    const { status, body } = await prompts({ cenas: [{ index: 4, texto: 'MALFORMED_ONCE a dog in the snow' }], ...scriptFields });
    expect(status).toBe(200);
    expect(body.prompts).toEqual([{ index: 4, prompt: 'cinematic still of MALFORMED_ONCE a dog in the snow' }]);
    expect(requestsFor(openrouter, 'a dog in the snow')).toHaveLength(2);
  });

  it('reports a scene that never gets a valid answer, next to the ones that did', async () => {
    const { status, body } = await prompts({ cenas: [{ index: 0, texto: 'a quiet library' }, { index: 1, texto: 'MALFORMED_ALWAYS a noisy market' }], ...scriptFields });
    expect(status).toBe(200);
    expect(body.prompts).toEqual([{ index: 0, prompt: 'cinematic still of a quiet library' }]);
    expect(body.stats).toMatchObject({ promptsGenerated: 1, promptsFailed: 1, successRate: '50.0%' });
    expect(body.failures).toEqual([{ index: 1, type: 'MalformedOutput', error: expect.stringMatching(/not JSON/) }]);
    expect(requestsFor(openrouter, 'a noisy market')).toHaveLength(4);
  });

  it('answers 422 when no scene produced a prompt', async () => {
    const { status, body } = await prompts({ cenas: [{ index: 0, texto: 'MALFORMED_ALWAYS an empty beach' }], ...scriptFields });
    expect(status).toBe(422);
    expect(body).toMatchObject({ error: 'Generation failed', message: expect.stringMatching(/^No prompts were generated successfully/), requestId: expect.any(String) });
  });

  it('waits for Retry-After after a 429, then succeeds', async () => {
    const { status } = await prompts({ cenas: [{ index: 0, texto: 'RATE_LIMIT_ONCE a windmill' }], ...scriptFields });
    expect(status).toBe(200);
    const [first, second] = requestsFor(openrouter, 'a windmill');
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
  });

  it('answers 429 with Retry-After when the provider keeps rate limiting', async () => {
    const { status, headers, body } = await prompts({ cenas: [{ index: 0, texto: 'RATE_LIMIT_ALWAYS a bridge' }], ...scriptFields });
    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBe('1');
    expect(body).toMatchObject({ error: 'Rate limit exceeded', requestId: expect.any(String) });
  });

  it('retries a 5xx', async () => {
    const { status } = await prompts({ cenas: [{ index: 0, texto: 'SERVER_ERROR_ONCE a castle' }], ...scriptFields });
    expect(status).toBe(200);
    expect(requestsFor(openrouter, 'a castle')).toHaveLength(2);
  });

  it('does not retry a request the provider rejects, and says why', async () => {
    const { status, body } = await prompts({ cenas: [{ index: 0, texto: 'REJECT a forest' }], ...scriptFields, model: 'no/such-model' });
    expect(status).toBe(422);
    expect(body.message).toMatch(/no\/such-model is not a valid model ID/);
    expect(requestsFor(openrouter, 'a forest')).toHaveLength(1);
  });

  it('answers 503 for a key the provider refuses, without ever repeating the key', async () => {
    openrouter.expectedKey = 'some-other-key';
    try {
      const { status, body, text } = await prompts({ cenas: [{ index: 0, texto: 'a mountain' }], ...scriptFields });
      expect(status).toBe(503);
      expect(body).toMatchObject({ error: 'Service configuration error', message: expect.stringMatching(/HTTP 401/) });
      expect(text).not.toContain(OPENROUTER_KEY);
      expect(text).toContain('[redacted]');
    } finally {
      openrouter.expectedKey = OPENROUTER_KEY;
    }
  });

  it('answers 503 when the account has no credits', async () => {
    openrouter.outOfCredits = true;
    try {
      const { status, body } = await prompts({ cenas: [{ index: 0, texto: 'a valley' }], ...scriptFields });
      expect(status).toBe(503);
      expect(body.message).toMatch(/HTTP 402: Insufficient credits/);
    } finally {
      openrouter.outOfCredits = false;
    }
  });
});

describe('gerarImagens', () => {
  const size = { image_model: 'runware:101@1', altura: 512, largura: 768 };

  it('stores one image per prompt and returns their URLs in index order', async () => {
    const before = runware.requests.length;
    const { status, body } = await images({ prompts: [{ index: 1, prompt: 'a red barn' }, { index: 0, prompt: 'a green field' }, { index: 2, prompt: 'a blue lake' }], ...size });
    expect(status).toBe(200);
    expect(body).toMatchObject({ code: 200, message: 'Images generated successfully', stats: { totalPrompts: 3, imagesGenerated: 3, imagesFailed: 0, successRate: '100.0%' }, failures: [] });
    const list = body.images as { index: number; imageURL: string; prompt: string }[];
    expect(list.map((i) => [i.index, i.prompt])).toEqual([[0, 'a green field'], [1, 'a red barn'], [2, 'a blue lake']]);
    for (const image of list) {
      expect(image.imageURL).toMatch(new RegExp(`/imagens/${String(body.workflowId)}/image_\\d{3}\\.jpg$`));
      const res = await fetch(image.imageURL);
      expect(res.status).toBe(200);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(runware.sentImages.get(image.prompt));
    }
    const sent = runware.requests.slice(before);
    expect(sent).toHaveLength(3);
    for (const r of sent) {
      expect(r.authorization).toBe(`Bearer ${RUNWARE_KEY}`);
      expect((r.body as unknown[])[0]).toMatchObject({ taskType: 'imageInference', model: 'runware:101@1', width: 768, height: 512, numberResults: 1, outputType: 'base64Data', taskUUID: expect.any(String) });
    }
  });

  it('stores under the path given, and accepts sizes sent as numeric strings', async () => {
    const { status, body } = await images({ prompts: [{ index: 0, prompt: 'a small boat' }], image_model: 'runware:101@1', altura: '512', largura: '512', path: 'canal/roteiro-9/imagens' });
    expect(status).toBe(200);
    expect((body.images as { imageURL: string }[])[0].imageURL).toMatch(/\/canal\/roteiro-9\/imagens\/image_001\.jpg$/);
  });

  it('reports a failed image next to the ones that were made', async () => {
    const { status, body } = await images({ prompts: [{ index: 0, prompt: 'a tall tree' }, { index: 1, prompt: 'REJECT something' }], ...size });
    expect(status).toBe(200);
    expect((body.images as { index: number }[]).map((i) => i.index)).toEqual([0]);
    expect(body.stats).toMatchObject({ imagesGenerated: 1, imagesFailed: 1, successRate: '50.0%' });
    expect(body.failures).toEqual([{ index: 1, prompt: 'REJECT something', type: 'ProviderRejected', error: expect.stringMatching(/content filter \(positivePrompt\)/) }]);
    expect(requestsFor(runware, 'REJECT something')).toHaveLength(1);
  });

  it('waits for Retry-After after a 429, and retries a 503', async () => {
    const { status, body } = await images({ prompts: [{ index: 0, prompt: 'RATE_LIMIT_ONCE a tower' }, { index: 1, prompt: 'SERVER_ERROR_ONCE a tunnel' }], ...size });
    expect(status).toBe(200);
    expect(body.stats).toMatchObject({ imagesGenerated: 2 });
    const [first, second] = requestsFor(runware, 'a tower');
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
    expect(requestsFor(runware, 'a tunnel')).toHaveLength(2);
  });

  it('answers 429 with Retry-After when every image stays rate limited', async () => {
    const { status, headers } = await images({ prompts: [{ index: 0, prompt: 'RATE_LIMIT_ALWAYS a road' }], ...size });
    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBe('1');
  });

  it('answers 503 without repeating the key when Runware refuses it', async () => {
    runware.expectedKey = 'another';
    try {
      const { status, text } = await images({ prompts: [{ index: 0, prompt: 'a door' }], ...size });
      expect(status).toBe(503);
      expect(text).toMatch(/Invalid API key/);
      expect(text).not.toContain(RUNWARE_KEY);
    } finally {
      runware.expectedKey = RUNWARE_KEY;
    }
  });

  it('answers 504 at the deadline and cancels the work', async () => {
    const { status, body } = await images({ prompts: [{ index: 0, prompt: 'HANG a clock' }], ...size });
    expect(status).toBe(504);
    expect(body).toMatchObject({ error: 'Request timeout', requestId: expect.any(String) });
    const handle = stack.runtime.client.workflow.getHandle(String(body.workflowId));
    await expect(handle.result()).rejects.toThrow(/cancel/i);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  });

  it('answers 400 naming the field, in the imagem error shape', async () => {
    const unknown = await images({ prompts: [{ index: 0, prompt: 'x' }], ...size, steps: 30 });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ error: 'Validation error', requestId: expect.any(String) });
    expect(String(unknown.body.message)).toMatch(/steps/);
    const small = await images({ prompts: [{ index: 0, prompt: 'x' }], ...size, altura: 100 });
    expect(small.status).toBe(400);
    expect(String(small.body.message)).toMatch(/^altura:/);
  });
});

describe('secrets', () => {
  it('never writes either API key to a log line or the workflow history', async () => {
    expect(logged.join('').length).toBeGreaterThan(0);
    for (const line of logged) {
      expect(line).not.toContain(OPENROUTER_KEY);
      expect(line).not.toContain(RUNWARE_KEY);
    }
    const runs = stack.runtime.client.workflow.list({ query: `WorkflowType='generatePrompts' OR WorkflowType='generateImages'` });
    let checked = 0;
    for await (const run of runs) {
      const history = JSON.stringify(await stack.runtime.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory());
      expect(history).not.toContain(OPENROUTER_KEY);
      expect(history).not.toContain(RUNWARE_KEY);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });
});

describe('without provider keys', () => {
  it('answers 503 naming the missing setting, starting nothing', async () => {
    const bare = await startStack({}, { workers: false });
    try {
      const count = async () => (await bare.runtime.client.workflow.count(`WorkflowType='generatePrompts' OR WorkflowType='generateImages'`)).count;
      const before = await count();
      const p = await bare.api('/vps/imagem/gerarPrompts', { method: 'POST', json: { cenas: [{ index: 0, texto: 'x' }], ...scriptFields } });
      expect(p.status).toBe(503);
      expect(await p.json()).toMatchObject({ error: 'Service not configured', message: expect.stringMatching(/OPENROUTER_API_KEY/), requestId: expect.any(String) });
      const i = await bare.api('/vps/imagem/gerarImagens', { method: 'POST', json: { prompts: [{ index: 0, prompt: 'x' }], image_model: 'runware:101@1', altura: 512, largura: 512 } });
      expect(i.status).toBe(503);
      expect(((await i.json()) as { message: string }).message).toMatch(/RUNWARE_API_KEY/);
      expect(await count()).toBe(before);
    } finally {
      await bare.stop();
    }
  });
});
