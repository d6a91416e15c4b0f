/**
 * youtubeTranscript: the /vps/video/transcribe_youtube work as a workflow (the HTTP call waits for it).
 * One activity on the browser task queue reads and stores the captions; a problem with the video
 * itself (private, removed, no captions, language missing) fails at once, anything else is retried.
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { TASK_QUEUES } from '../common/temporal';
import { YOUTUBE_FAILURES, type YoutubeTranscript, type YoutubeTranscriptInput } from '../common/youtube';
import { innermostApplicationFailure } from './failures';

type Activities = ReturnType<typeof createActivities>;

export async function youtubeTranscript(input: YoutubeTranscriptInput): Promise<YoutubeTranscript> {
  const { transcribeYoutube } = proxyActivities<Activities>({
    taskQueue: TASK_QUEUES.browser,
    startToCloseTimeout: '2 minutes',
    // the activity heartbeats every 2 s; Temporal forwards them (and so learns of cancellation) at
    // most every 0.8 × this timeout, so it stays short: the page closes soon after the API gives up
    heartbeatTimeout: '6 seconds',
    retry: { maximumAttempts: 3, initialInterval: '2 seconds', nonRetryableErrorTypes: [...Object.keys(YOUTUBE_FAILURES), 'NoBrowser'] },
  });
  try {
    return await transcribeYoutube(input);
  } catch (err) {
    // fail with the cause's own type and message, so the API and the Web UI show the real reason
    const cause = innermostApplicationFailure(err);
    if (!cause) throw err;
    throw ApplicationFailure.create({ type: cause.type ?? undefined, message: cause.message, details: cause.details ?? undefined, nonRetryable: true });
  }
}
