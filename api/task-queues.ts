/** Pollers and backlog of our task queues, for /queue/stats, /admin/workers/status and /health. */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export interface TaskQueueState {
  name: string;
  workflowPollers: number;
  activityPollers: number;
  activityBacklog: number | null;
}

export async function taskQueueState(client: Client, namespace: string, names: string[]): Promise<TaskQueueState[]> {
  return Promise.all(
    names.map(async (name) => {
      const describe = (type: temporal.api.enums.v1.TaskQueueType) =>
        client.workflowService.describeTaskQueue({ namespace, taskQueue: { name, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL }, taskQueueType: type, includeTaskQueueStatus: true });
      const [wf, act] = await Promise.all([
        describe(temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
        describe(temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
      ]);
      const backlog = act.taskQueueStatus?.backlogCountHint;
      return {
        name,
        workflowPollers: wf.pollers?.length ?? 0,
        activityPollers: act.pollers?.length ?? 0,
        activityBacklog: backlog === undefined || backlog === null ? null : Number(backlog),
      };
    }),
  );
}
