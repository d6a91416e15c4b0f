/**
 * The environment a worker gets, in the shape the runpod Python SDK (1.12) reads on RunPod itself:
 *   RUNPOD_WEBHOOK_GET_JOB      GET, "$ID" -> worker id; the SDK appends "&job_in_progress=0|1" and, for
 *                               batches, swaps "/job-take/" for "/job-take-batch/" and appends
 *                               "&batch_size=N"; it also derives its stop channel by swapping in "/job-stop/"
 *   RUNPOD_WEBHOOK_POST_OUTPUT  POST, "$RUNPOD_POD_ID" -> worker id, "$ID" -> job id, "&isStream=..." appended
 *   RUNPOD_WEBHOOK_POST_STREAM  same substitutions, one POST per streamed chunk
 *   RUNPOD_WEBHOOK_PING         GET heartbeat, "$RUNPOD_POD_ID" -> worker id, ?job_id=a,b&runpod_version=...
 *   RUNPOD_AI_API_KEY           sent raw (no "Bearer") in the Authorization header
 * Because the SDK appends "&..." to these URLs, each already carries a query string: the worker key as
 * `token`. The SDK prefers an api_key from ~/.runpod/config.toml over RUNPOD_AI_API_KEY for its job
 * requests, so the key in the URL keeps workers working on a machine that has the RunPod CLI configured.
 */

export const WORKER_TOKEN_PARAM = 'token';

export interface WorkerEnvInput {
  /** where workers reach this server, e.g. http://127.0.0.1:8288 */
  origin: string;
  endpointId: string;
  podId: string;
  workerKey: string;
  /** the server's own environment, passed through minus its secrets */
  baseEnv: NodeJS.ProcessEnv;
  /** per-endpoint extra variables */
  extra?: Record<string, string>;
}

/** Settings of ours that a worker must never see. */
const WITHHELD = ['RUNPOD_LOCAL_API_KEY'];

export function workerEnv(input: WorkerEnvInput): NodeJS.ProcessEnv {
  const base = `${input.origin}/v2/${encodeURIComponent(input.endpointId)}`;
  const query = `?${WORKER_TOKEN_PARAM}=${encodeURIComponent(input.workerKey)}`;
  const env: NodeJS.ProcessEnv = { ...input.baseEnv };
  for (const name of WITHHELD) delete env[name];
  return {
    // RunPod's platform health checks probe 8.8.8.8 and disk/memory minimums; on one's own box an
    // offline machine would kill every worker at start. GPU checks still run. Overridable.
    RUNPOD_SKIP_AUTO_SYSTEM_CHECKS: 'true',
    RUNPOD_LOG_LEVEL: 'INFO',
    ...env,
    ...input.extra,
    RUNPOD_ENDPOINT_ID: input.endpointId,
    RUNPOD_POD_ID: input.podId,
    RUNPOD_AI_API_KEY: input.workerKey,
    RUNPOD_WEBHOOK_GET_JOB: `${base}/job-take/$ID${query}`,
    RUNPOD_WEBHOOK_POST_OUTPUT: `${base}/job-done/$RUNPOD_POD_ID/$ID${query}`,
    RUNPOD_WEBHOOK_POST_STREAM: `${base}/job-stream/$RUNPOD_POD_ID/$ID${query}`,
    RUNPOD_WEBHOOK_PING: `${base}/ping/$RUNPOD_POD_ID${query}`,
  };
}
