/**
 * POST /vps/imagem/gerarPrompts and /vps/imagem/gerarImagens (synchronous): each runs its workflow
 * and answers in the seed's shapes. Items that failed are listed in `failures` next to those that
 * succeeded; when nothing was produced, the failures decide the status: 503 provider not configured,
 * bad key, no credits or down · 429 rate limited (with Retry-After) · 504 timeout · 422 otherwise.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { AI_FAILURE_TYPES, type GenerateImagesInput, type GenerateImagesResult, type GeneratePromptsInput, type GeneratePromptsResult, type ItemFailure } from '../../common/ai';
import type { Config } from '../../common/config';
import { gerarImagensRequest, gerarPromptsRequest } from '../schemas/imagem';
import type { ApiDeps } from '../server';
import { runWorkflowSync, type SyncOutcome } from '../sync-workflow';

interface Route<Result> {
  /** "prompt" or "image": used in messages */
  noun: string;
  provider: string;
  setting: string;
  /** the items the workflow produced */
  produced(result: Result): unknown[];
}

export function registerImagemRoutes(app: FastifyInstance, deps: ApiDeps, config: Config): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const routeConfig = { errorStyle: 'imagem' as const };

  r.post(
    '/vps/imagem/gerarPrompts',
    { schema: { body: gerarPromptsRequest, tags: ['Images'], summary: 'Image prompts for the scenes of a script (OpenRouter, synchronous)' }, config: routeConfig },
    async (request, reply) => {
      const started = new Date();
      const route: Route<GeneratePromptsResult> = { noun: 'prompt', provider: 'OpenRouter', setting: 'OPENROUTER_API_KEY', produced: (res) => res.prompts };
      if (!config.OPENROUTER_API_KEY) return notConfigured(request, reply, route);
      const input: GeneratePromptsInput = request.body;
      const workflowId = `prompts-${randomUUID()}`;
      const outcome = await runWorkflowSync<GeneratePromptsResult>(deps.client, reply, { workflowType: 'generatePrompts', workflowId, args: [input], deadlineMs: config.IMAGEM_DEADLINE_MS });
      return answer(request, reply, route, outcome, { workflowId, started, total: input.cenas.length }, (res) => ({
        message: 'Prompts generated successfully',
        prompts: res.prompts,
        model: res.model,
        stats: statsOf('Scenes', 'promptsGenerated', 'promptsFailed', input.cenas.length, res.prompts.length, res.failures.length),
      }));
    },
  );

  r.post(
    '/vps/imagem/gerarImagens',
    { schema: { body: gerarImagensRequest, tags: ['Images'], summary: 'One image per prompt (Runware), stored like every output (synchronous)' }, config: routeConfig },
    async (request, reply) => {
      const started = new Date();
      const route: Route<GenerateImagesResult> = { noun: 'image', provider: 'Runware', setting: 'RUNWARE_API_KEY', produced: (res) => res.images };
      if (!config.RUNWARE_API_KEY) return notConfigured(request, reply, route);
      const body = request.body;
      const workflowId = `images-${randomUUID()}`;
      const input: GenerateImagesInput = {
        prompts: body.prompts,
        model: body.image_model,
        width: body.largura,
        height: body.altura,
        keyPrefix: body.path ? body.path.replace(/\/*$/, '/') : `imagens/${workflowId}/`,
      };
      const outcome = await runWorkflowSync<GenerateImagesResult>(deps.client, reply, { workflowType: 'generateImages', workflowId, args: [input], deadlineMs: config.IMAGEM_DEADLINE_MS });
      return answer(request, reply, route, outcome, { workflowId, started, total: body.prompts.length }, (res) => ({
        message: 'Images generated successfully',
        images: res.images,
        stats: statsOf('Prompts', 'imagesGenerated', 'imagesFailed', body.prompts.length, res.images.length, res.failures.length),
      }));
    },
  );

  function notConfigured(request: FastifyRequest, reply: FastifyReply, route: Pick<Route<unknown>, 'provider' | 'setting'>) {
    return reply.code(503).send({ error: 'Service not configured', message: `${route.provider} is not configured on this server: set ${route.setting}`, requestId: request.id });
  }

  function answer<Result extends { failures: ItemFailure[] }>(
    request: FastifyRequest,
    reply: FastifyReply,
    route: Route<Result>,
    outcome: SyncOutcome<Result>,
    run: { workflowId: string; started: Date; total: number },
    body: (result: Result) => Record<string, unknown>,
  ) {
    const requestId = request.id;
    const { workflowId } = run;
    switch (outcome.status) {
      case 'completed': {
        const res = outcome.result;
        if (route.produced(res).length === 0) return sendNothingProduced(reply, route, res.failures, { requestId, workflowId });
        if (res.failures.length > 0) request.log.warn({ workflowId, failures: res.failures.map((f) => ({ index: f.index, type: f.type })) }, `some ${route.noun}s failed`);
        return reply.send({ code: 200, ...body(res), execution: execution(run.started), failures: res.failures, requestId, workflowId });
      }
      case 'deadline':
        return reply.code(504).send({ error: 'Request timeout', message: `${capitalize(route.noun)} generation took longer than ${config.IMAGEM_DEADLINE_MS} ms; the work was cancelled`, requestId, workflowId });
      case 'abandoned':
        // the client hung up and the work was cancelled; nobody reads this answer
        return reply.code(499).send({ error: 'Client closed request', message: 'cancelled', requestId, workflowId });
      case 'failed':
        request.log.error({ workflowId, err: outcome.message }, `${route.noun} generation failed`);
        return reply.code(500).send({ error: `${capitalize(route.noun)} generation failed`, message: outcome.message, requestId, workflowId });
    }
  }
}

/** Nothing was produced: the most telling failure decides the status code. */
function sendNothingProduced(reply: FastifyReply, route: Pick<Route<unknown>, 'noun' | 'provider'>, failures: ItemFailure[], ids: { requestId: string; workflowId: string }) {
  const has = (...types: string[]) => failures.find((f) => types.includes(f.type));
  const first = failures[0];
  const config = has(AI_FAILURE_TYPES.notConfigured, AI_FAILURE_TYPES.auth, AI_FAILURE_TYPES.credits);
  if (config) return reply.code(503).send({ error: 'Service configuration error', message: config.error, failures, ...ids });
  const limited = has(AI_FAILURE_TYPES.rateLimited);
  if (limited) {
    if (limited.retryAfterS !== undefined) reply.header('retry-after', String(limited.retryAfterS));
    return reply.code(429).send({ error: 'Rate limit exceeded', message: `${route.provider} is rate limiting requests: ${limited.error}`, failures, ...ids });
  }
  if (first && failures.every((f) => f.type === AI_FAILURE_TYPES.timeout)) {
    return reply.code(504).send({ error: 'Request timeout', message: `${route.provider} did not answer in time`, failures, ...ids });
  }
  const down = has(AI_FAILURE_TYPES.unavailable);
  if (down) return reply.code(503).send({ error: `${capitalize(route.noun)} generation service unavailable`, message: down.error, failures, ...ids });
  return reply.code(422).send({ error: 'Generation failed', message: `No ${route.noun}s were generated successfully: ${first?.error ?? 'no items'}`, failures, ...ids });
}

function statsOf(totalName: 'Scenes' | 'Prompts', doneName: string, failedName: string, total: number, done: number, failed: number) {
  return { [`total${totalName}`]: total, [doneName]: done, [failedName]: failed, successRate: `${((done / total) * 100).toFixed(1)}%` };
}

function execution(started: Date) {
  const end = new Date();
  const durationMs = end.getTime() - started.getTime();
  return { startTime: started.toISOString(), endTime: end.toISOString(), durationMs, durationSeconds: Math.round(durationMs / 10) / 100 };
}

const capitalize = (s: string) => s[0].toUpperCase() + s.slice(1);
