/** Failure helpers for workflows: the useful error is the innermost one, not "Activity task failed". */
import { ApplicationFailure } from '@temporalio/workflow';

export function innermostApplicationFailure(err: unknown): ApplicationFailure | undefined {
  let found: ApplicationFailure | undefined;
  for (let e = err as { cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e instanceof ApplicationFailure) found = e;
  }
  return found;
}
