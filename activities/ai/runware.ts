/**
 * generateImage: one Runware imageInference task over their HTTP REST API (POST a JSON array of tasks
 * to RUNWARE_BASE_URL, Authorization: Bearer; answers {"data": [...]} or {"errors": [...]}). The image
 * comes back inline (outputType base64Data), is checked to be a JPEG and stored like every other
 * output, so clients get our URL rather than Runware's short-lived one.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { AI_FAILURE_TYPES, type GeneratedImage, type ImageInput } from '../../common/ai';
import type { Storage } from '../../common/storage';
import { postJson, requireKey, withHeartbeat } from './http';

export interface RunwareSettings {
  apiKey?: string;
  baseUrl: string;
}

const REQUEST_TIMEOUT_MS = 120_000;

const errorsBody = z.object({ errors: z.array(z.object({ code: z.string().optional(), message: z.string().optional(), parameter: z.string().optional(), taskUUID: z.string().optional() })).min(1) });
const dataBody = z.object({ data: z.array(z.object({ taskUUID: z.string().optional(), imageBase64Data: z.string().optional() }).passthrough()) });

function errorText(json: unknown): string | undefined {
  const e = errorsBody.safeParse(json);
  if (!e.success) return undefined;
  return e.data.errors.map((x) => `${x.message ?? x.code ?? 'error'}${x.parameter ? ` (${x.parameter})` : ''}`).join('; ');
}

function errorKind(json: unknown): 'auth' | 'credits' | undefined {
  const codes = errorsBody.safeParse(json).data?.errors.map((x) => x.code ?? '') ?? [];
  if (codes.some((c) => /apikey|unauthori[sz]ed/i.test(c))) return 'auth';
  if (codes.some((c) => /credit|balance|payment/i.test(c))) return 'credits';
  return undefined;
}

export function runwareActivities(settings: RunwareSettings, storage: Storage) {
  async function generateImage(input: ImageInput): Promise<GeneratedImage> {
    const apiKey = requireKey(settings.apiKey, 'Runware', 'RUNWARE_API_KEY');
    const taskUUID = randomUUID();
    const answer = await withHeartbeat((signal) =>
      postJson(
        {
          provider: 'Runware',
          url: settings.baseUrl,
          apiKey,
          timeoutMs: REQUEST_TIMEOUT_MS,
          body: [
            {
              taskType: 'imageInference',
              taskUUID,
              positivePrompt: input.prompt,
              model: input.model,
              width: input.width,
              height: input.height,
              numberResults: 1,
              outputType: 'base64Data',
              outputFormat: 'JPG',
            },
          ],
          errorText,
          errorKind,
        },
        signal,
      ),
    );
    // a 200 can still carry the task's error when it failed on Runware's side
    const failed = errorText(answer);
    if (failed) throw ApplicationFailure.retryable(`Runware: ${failed}`, AI_FAILURE_TYPES.unavailable);
    const item = dataBody.safeParse(answer).data?.data.find((d) => d.taskUUID === taskUUID);
    if (!item?.imageBase64Data) throw ApplicationFailure.retryable(`Runware answer has no image for task ${taskUUID}`, AI_FAILURE_TYPES.malformed);
    const bytes = Buffer.from(item.imageBase64Data, 'base64');
    if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff) {
      throw ApplicationFailure.retryable(`Runware answer for task ${taskUUID} is not a JPEG image`, AI_FAILURE_TYPES.malformed);
    }
    const stored = await storage.putBuffer(input.key, bytes, 'image/jpeg');
    return { index: input.index, imageURL: stored.url, prompt: input.prompt };
  }

  return { generateImage };
}
