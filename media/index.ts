/**
 * Entry points of the media engine: run an operation locally (prepare → execute → shape), or prepare
 * a plan for the GPU worker and shape its outputs afterwards.
 */
import type { MediaOperation } from '../workflows/types';
import type { LocalRunContext, LocalRunOutcome } from './context';
import { OPERATIONS } from './operations';
import { createLocalPrepareEnv, executePlan } from './executor';

export async function runOperationLocally(operation: MediaOperation, request: Record<string, unknown>, ctx: LocalRunContext): Promise<LocalRunOutcome> {
  const def = OPERATIONS[operation];
  const env = createLocalPrepareEnv(ctx);
  ctx.progress({ stage: 'preparing', percent: 0 });
  const prepared = await def.prepare(request as never, env);
  const run = await executePlan(prepared.plan, ctx, env.localInputs);
  ctx.progress({ stage: 'done', percent: 100 });
  return { result: def.shape(request as never, prepared.meta, run.uploaded, 'VPS'), codec: run.codec };
}
