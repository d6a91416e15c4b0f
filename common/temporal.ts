/**
 * Names shared by the API, workflows and workers: task queues and search attributes. Pure module, safe
 * to import from workflow code.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const TASK_QUEUES = {
  /** workflows and light activities (webhooks, GPU submit/poll, storage) */
  orchestration: 'autodark-orchestration',
  /** local FFmpeg work; concurrency = VPS_MAX_CONCURRENT_JOBS per worker process */
  mediaCpu: 'autodark-media-cpu',
  /** RunPod job lifecycles; concurrency = MAX_WORKERS per worker process */
  gpu: 'autodark-gpu',
  /** playwright pages */
  browser: 'autodark-browser',
} as const;

export type TaskQueueName = (typeof TASK_QUEUES)[keyof typeof TASK_QUEUES];

export const SEARCH_ATTRIBUTES = {
  operation: defineSearchAttributeKey('AutoDarkOperation', SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey('AutoDarkStatus', SearchAttributeType.KEYWORD),
  processor: defineSearchAttributeKey('AutoDarkProcessor', SearchAttributeType.KEYWORD),
  idRoteiro: defineSearchAttributeKey('AutoDarkIdRoteiro', SearchAttributeType.INT),
};

/** For `temporal server start-dev --search-attribute` and temporal-config/setup.sh. */
export const SEARCH_ATTRIBUTE_DEFINITIONS: Record<string, 'Keyword' | 'Int'> = {
  AutoDarkOperation: 'Keyword',
  AutoDarkStatus: 'Keyword',
  AutoDarkProcessor: 'Keyword',
  AutoDarkIdRoteiro: 'Int',
};
