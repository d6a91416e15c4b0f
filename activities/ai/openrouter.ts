/**
 * generateScenePrompt: one OpenRouter chat completion (OpenAI-compatible /chat/completions) turns one
 * scene of the script into an image prompt. The request's `agente` is the system prompt, as in the
 * seed; the answer must be the JSON object {"prompt": "..."} (asked for with a strict json_schema
 * response format), and anything else is a MalformedOutput that Temporal retries.
 */
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { AI_FAILURE_TYPES, type IndexedPrompt, type ScenePromptInput } from '../../common/ai';
import { postJson, requireKey, withHeartbeat } from './http';

export interface OpenRouterSettings {
  apiKey?: string;
  baseUrl: string;
  model: string;
}

const REQUEST_TIMEOUT_MS = 60_000;

const PROMPT_SCHEMA = {
  type: 'object',
  properties: { prompt: { type: 'string', description: 'the image prompt for this scene' } },
  required: ['prompt'],
  additionalProperties: false,
};

const promptAnswer = z.object({ prompt: z.string().trim().min(1) }).strict();

const errorBody = z.object({ error: z.object({ message: z.string().optional(), code: z.union([z.number(), z.string()]).optional() }) });

function userMessage(input: ScenePromptInput): string {
  return [
    `### SCENE ${input.scene.index}\n${input.scene.texto}`,
    `### VISUAL STYLE\n${input.estilo}`,
    `### STYLE DETAILS\n${input.detalhe_estilo}`,
    `### FULL SCRIPT\n${input.roteiro}`,
  ].join('\n\n');
}

/**
 * The model's text must be exactly {"prompt": "<non-empty>"}; one Markdown ```json fence around it is
 * the only wrapping tolerated (some models add it even in JSON mode).
 */
export function parsePromptAnswer(content: unknown): string {
  if (typeof content !== 'string') throw ApplicationFailure.retryable('OpenRouter answer has no message content', AI_FAILURE_TYPES.malformed);
  const unfenced = content.trim().replace(/^```(?:json)?\s*\n([\s\S]*)\n```$/, '$1');
  let value: unknown;
  try {
    value = JSON.parse(unfenced);
  } catch {
    throw ApplicationFailure.retryable(`OpenRouter answer is not JSON: ${JSON.stringify(content.slice(0, 120))}`, AI_FAILURE_TYPES.malformed);
  }
  const parsed = promptAnswer.safeParse(value);
  if (!parsed.success) throw ApplicationFailure.retryable(`OpenRouter answer is not {"prompt": "..."}: ${JSON.stringify(content.slice(0, 120))}`, AI_FAILURE_TYPES.malformed);
  return parsed.data.prompt;
}

export function openRouterActivities(settings: OpenRouterSettings) {
  async function generateScenePrompt(input: ScenePromptInput): Promise<IndexedPrompt & { model: string }> {
    const apiKey = requireKey(settings.apiKey, 'OpenRouter', 'OPENROUTER_API_KEY');
    const model = input.model ?? settings.model;
    const answer = await withHeartbeat((signal) =>
      postJson(
        {
          provider: 'OpenRouter',
          url: `${settings.baseUrl.replace(/\/+$/, '')}/chat/completions`,
          apiKey,
          timeoutMs: REQUEST_TIMEOUT_MS,
          headers: { 'x-title': 'AutoDark' },
          body: {
            model,
            messages: [
              { role: 'system', content: `${input.agente}\n\nAnswer with only a JSON object of the form {"prompt": "<the image prompt>"}.` },
              { role: 'user', content: userMessage(input) },
            ],
            temperature: 0.7,
            max_tokens: 1000,
            response_format: { type: 'json_schema', json_schema: { name: 'image_prompt', strict: true, schema: PROMPT_SCHEMA } },
          },
          errorText: (json) => {
            const e = errorBody.safeParse(json);
            return e.success ? e.data.error.message : undefined;
          },
        },
        signal,
      ),
    );
    // OpenRouter can answer 200 with an error object when the model fails mid-way
    const failed = errorBody.safeParse(answer);
    if (failed.success) throw ApplicationFailure.retryable(`OpenRouter: ${failed.data.error.message ?? 'generation failed'}`, AI_FAILURE_TYPES.unavailable);
    const choice = (answer as { choices?: { message?: { content?: unknown } }[] }).choices?.[0];
    return { index: input.scene.index, prompt: parsePromptAnswer(choice?.message?.content), model };
  }

  return { generateScenePrompt };
}
