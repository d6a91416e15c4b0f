/** Shapes that cross the API ↔ workflow ↔ activity boundaries. Pure types and helpers. */

/** The seed's asynchronous media operations. */
export const MEDIA_OPERATIONS = [
  'img2vid',
  'caption_style',
  'addaudio',
  'concatenate',
  'concat_video_audio',
  'trilhasonora',
  // synchronous /vps/audio/* routes: same engine, the HTTP call waits for the workflow
  'audio_concatenate',
  'audio_trilhasonora',
] as const;
export type MediaOperation = (typeof MEDIA_OPERATIONS)[number];

/** GPU = the /runpod/* routes (RunPod or the local endpoint); VPS = /vps/* (local FFmpeg). */
export type Processor = 'GPU' | 'VPS';

export type JobStatus = 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

export interface WebhookPolicy {
  initialIntervalMs: number;
  maxIntervalMs: number;
  retryForMs: number;
  timeoutMs: number;
}

export interface JobInput {
  jobId: string;
  operation: MediaOperation;
  processor: Processor;
  /** the validated request body */
  request: Record<string, unknown>;
  idRoteiro?: number;
  webhookUrl?: string;
  webhookPolicy: WebhookPolicy;
  createdAt: string;
}

/** What the memo holds, so list/describe answer without a query. */
export interface JobMemo {
  operation: string;
  processor: Processor;
  idRoteiro?: number;
  createdAt: string;
  webhookUrl?: string;
}

export interface Execution {
  startTime: string;
  endTime: string;
  durationMs: number;
  durationSeconds: number;
  worker?: string;
  codec?: string;
}

/** Result of one media operation run (local or GPU). */
export interface OperationOutcome {
  /** the contract's webhook `result` object */
  result: Record<string, unknown>;
  startedAt: string;
  finishedAt: string;
  codec: string;
}

/** The job workflow's return value on success. */
export interface JobOutcome {
  status: 'COMPLETED';
  result: Record<string, unknown>;
  execution: Execution;
}

export interface JobProgress {
  status: 'QUEUED' | 'PROCESSING';
  stage: string;
  percent: number;
  completed: number;
  total: number;
  startedAt?: string;
}

export interface WebhookAttempt {
  at: string;
  statusCode?: number;
  error?: string;
  /** the address is refused by the SSRF guard: retrying cannot help */
  refused?: boolean;
}

export interface WebhookDeliveryInput {
  jobId: string;
  url: string;
  status: JobStatus;
  body: Record<string, unknown>;
  policy: WebhookPolicy;
}

export interface WebhookDeliveryResult {
  delivered: boolean;
  attempts: WebhookAttempt[];
  gaveUpReason?: string;
}

/** The seed names the webhook operation of caption jobs after their type. */
export function webhookOperation(input: Pick<JobInput, 'operation' | 'request'>): string {
  if (input.operation === 'caption_style') return `caption_${String(input.request.type ?? 'segments')}`;
  return input.operation;
}

/** Job operation name as GET /jobs shows it: VPS jobs carry the seed's "_vps" suffix. */
export function jobOperationName(operation: string, processor: Processor): string {
  return processor === 'VPS' ? `${operation}_vps` : operation;
}
