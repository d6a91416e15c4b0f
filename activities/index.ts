/**
 * All activities, built from their dependencies (settings, storage, guarded HTTP, Temporal client).
 * Workflows import only the type of this factory's result.
 */
import { mediaLocalActivities, type MediaDeps } from './media-local';
import { webhookActivities } from './webhook';

export interface ActivityDeps extends MediaDeps {
  webhookSecret?: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...webhookActivities({ guard: deps.guard, secret: deps.webhookSecret }),
    ...mediaLocalActivities(deps),
  };
}
