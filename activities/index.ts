/**
 * All activities, built from their dependencies (settings, storage, guarded HTTP, Temporal client).
 * Workflows import only the type of this factory's result.
 */
import { openRouterActivities, type OpenRouterSettings } from './ai/openrouter';
import { runwareActivities, type RunwareSettings } from './ai/runware';
import type { Config } from '../common/config';
import { gpuActivities } from './gpu';
import { mediaLocalActivities, type MediaDeps } from './media-local';
import { transcriptionActivities } from './transcription';
import { webhookActivities } from './webhook';
import { youtubeActivities, type YoutubeDeps } from './youtube';

export interface ActivityDeps extends MediaDeps, Omit<YoutubeDeps, 'storage'> {
  config: Config;
  webhookSecret?: string;
  openRouter: OpenRouterSettings;
  runware: RunwareSettings;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...webhookActivities({ guard: deps.guard, secret: deps.webhookSecret }),
    ...mediaLocalActivities(deps),
    ...gpuActivities(deps),
    ...transcriptionActivities(deps),
    ...youtubeActivities(deps),
    ...openRouterActivities(deps.openRouter),
    ...runwareActivities(deps.runware, deps.storage),
  };
}
