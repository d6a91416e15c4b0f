/**
 * /admin/recover-workers, rebuilt for Temporal. Nothing can leak on our side (no semaphore), but a
 * GPU job can outlive its workflow when an operator *terminates* it (no cleanup runs) or it times out.
 * We find such workflows from visibility, read the RunPod job ids their submit activities returned
 * from history, and cancel the ones the endpoint still runs or queues.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../common/config';
import { runpodEndpoint } from '../common/gpu-endpoint';

const LOOKBACK_HOURS = 24;

export function gpuReconciler(client: Client, config: Config) {
  return async (): Promise<number> => {
    const endpoint = runpodEndpoint(config, config.RUNPOD_ENDPOINT_ID);
    if (!endpoint) return 0;
    const since = new Date(Date.now() - LOOKBACK_HOURS * 3_600_000).toISOString();
    const query = `WorkflowType IN ('mediaJob','transcription') AND ExecutionStatus IN ('Terminated','TimedOut') AND CloseTime > '${since}'`;
    let cancelled = 0;
    for await (const wf of client.workflow.list({ query })) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      for (const id of submittedRunpodJobs(history, client)) {
        const status = (await endpoint.status(id).catch(() => undefined)) as { status?: string } | undefined;
        if (status?.status === 'IN_QUEUE' || status?.status === 'IN_PROGRESS') {
          await endpoint.cancel(id);
          cancelled++;
        }
      }
    }
    return cancelled;
  };
}

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;

/** RunPod job ids returned by submitGpuJob activities in a workflow's history. */
function submittedRunpodJobs(history: History, client: Client): string[] {
  const submitIds = new Set<string>();
  const ids: string[] = [];
  const converter = client.options.loadedDataConverter.payloadConverter;
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'submitGpuJob') submitIds.add(String(e.eventId));
    const done = e.activityTaskCompletedEventAttributes;
    if (done && submitIds.has(String(done.scheduledEventId))) {
      const payload = done.result?.payloads?.[0];
      const value = payload ? (converter.fromPayload(payload) as { runpodJobId?: string }) : undefined;
      if (value?.runpodJobId) ids.push(value.runpodJobId);
    }
  }
  return ids;
}
