/**
 * The /vps/imagem/* work as workflows (the HTTP call waits for them): one activity per scene or
 * prompt, a few at a time, so every item has its own retries (backoff, Retry-After on 429) and its
 * own outcome; items that fail are reported next to those that succeeded.
 */
import { ActivityFailure, ApplicationFailure, isCancellation, proxyActivities, TimeoutFailure } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import {
  AI_FAILURE_TYPES,
  AI_NON_RETRYABLE,
  type GenerateImagesInput,
  type GenerateImagesResult,
  type GeneratePromptsInput,
  type GeneratePromptsResult,
  type ItemFailure,
} from '../common/ai';
import { TASK_QUEUES } from '../common/temporal';

type Activities = ReturnType<typeof createActivities>;

/** Items in flight at once: enough to hide provider latency, few enough not to trip rate limits. */
const PARALLEL_ITEMS = 4;

const retry = { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: AI_NON_RETRYABLE };

export async function generatePrompts(input: GeneratePromptsInput): Promise<GeneratePromptsResult> {
  const { generateScenePrompt } = proxyActivities<Activities>({
    taskQueue: TASK_QUEUES.orchestration,
    startToCloseTimeout: '90 seconds',
    heartbeatTimeout: '6 seconds',
    retry: { ...retry, maximumAttempts: 4 },
  });
  const { cenas, ...shared } = input;
  const outcomes = await mapBounded(cenas, PARALLEL_ITEMS, (scene) =>
    settle(generateScenePrompt({ ...shared, scene }), (err) => itemFailure(scene.index, undefined, err)),
  );
  const done = outcomes.filter((o) => 'ok' in o).map((o) => o.ok);
  return {
    model: done[0]?.model ?? input.model,
    prompts: done.map(({ index, prompt }) => ({ index, prompt })).sort((a, b) => a.index - b.index),
    failures: outcomes.filter((o) => 'failed' in o).map((o) => o.failed),
  };
}

export async function generateImages(input: GenerateImagesInput): Promise<GenerateImagesResult> {
  const { generateImage } = proxyActivities<Activities>({
    taskQueue: TASK_QUEUES.orchestration,
    startToCloseTimeout: '150 seconds',
    heartbeatTimeout: '6 seconds',
    retry: { ...retry, maximumAttempts: 3 },
  });
  const outcomes = await mapBounded(input.prompts, PARALLEL_ITEMS, (p, position) =>
    settle(
      generateImage({ index: p.index, prompt: p.prompt, model: input.model, width: input.width, height: input.height, key: `${input.keyPrefix}image_${String(position + 1).padStart(3, '0')}.jpg` }),
      (err) => itemFailure(p.index, p.prompt, err),
    ),
  );
  return {
    images: outcomes.filter((o) => 'ok' in o).map((o) => o.ok).sort((a, b) => a.index - b.index),
    failures: outcomes.filter((o) => 'failed' in o).map((o) => o.failed),
  };
}

type Settled<T> = { ok: T } | { failed: ItemFailure };

/** An item's failure becomes data; cancellation (the API's deadline) still ends the workflow. */
async function settle<T>(work: Promise<T>, describe: (err: unknown) => ItemFailure): Promise<Settled<T>> {
  try {
    return { ok: await work };
  } catch (err) {
    if (isCancellation(err)) throw err;
    return { failed: describe(err) };
  }
}

function itemFailure(index: number, prompt: string | undefined, err: unknown): ItemFailure {
  const item = { index, ...(prompt !== undefined ? { prompt } : {}) };
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const retryAfterS = (cause.details?.[0] as { retryAfterS?: number } | undefined)?.retryAfterS;
    return { ...item, type: cause.type ?? 'Error', error: cause.message, ...(retryAfterS !== undefined ? { retryAfterS } : {}) };
  }
  if (cause instanceof TimeoutFailure) return { ...item, type: AI_FAILURE_TYPES.timeout, error: 'the provider did not answer in time' };
  return { ...item, type: 'Error', error: cause instanceof Error ? cause.message : String(cause) };
}

/** Runs fn over items with at most `limit` in flight, keeping results in input order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, position: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const position = next++;
      results[position] = await fn(items[position], position);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
