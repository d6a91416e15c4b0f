/**
 * /, /health and the seed's per-service health routes (no API key). /health checks each component
 * and answers 503 when one is down.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { TASK_QUEUES } from '../../common/temporal';
import type { ApiDeps } from '../server';
import { taskQueueState } from '../task-queues';

const run = promisify(execFile);

type CheckBody = { message: string } & Record<string, unknown>;
type Check = CheckBody & { healthy: boolean };

async function check(fn: () => Promise<CheckBody | string>): Promise<Check> {
  try {
    const r = await fn();
    return typeof r === 'string' ? { healthy: true, message: r } : { healthy: true, ...r };
  } catch (err) {
    return { healthy: false, message: (err as Error).message };
  }
}

export async function ffmpegVersion(): Promise<string> {
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-version'], { timeout: 5000 });
  return stdout.split('\n')[0];
}

export function registerHealthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const startedAt = Date.now();

  app.get('/', { config: { public: true }, schema: { tags: ['Health'], summary: 'API information' } }, async () => ({
    message: 'API GPU Orchestrator - RunPod Serverless + Local VPS Processing',
    version: '3.1.0',
    engine: 'AutoDark on Temporal',
    features: {
      gpu: 'RunPod serverless (or the bundled RunPod-compatible local endpoint) via Temporal activities',
      vps: 'Local FFmpeg on the worker CPUs',
      jobs: 'One Temporal workflow per job; status, cancel and webhooks from Temporal',
    },
    endpoints: {
      gpu: '/runpod/video/{img2vid,caption_style,addaudio,concatenate,concat_video_audio,trilhasonora}',
      vps: '/vps/video/{img2vid,caption_style,addaudio,concatenate,concat_video_audio,trilhasonora}',
      audio: '/vps/audio/{concatenate,trilhasonora}',
      jobs: '/jobs, /jobs/:jobId, /jobs/:jobId/cancel, /queue/stats',
      admin: '/admin/workers/status, /admin/recover-workers',
      health: '/health',
    },
    documentation: '/docs',
  }));

  app.get('/health', { config: { public: true }, schema: { tags: ['Health'], summary: 'Health of every component; 503 when one is down' } }, async (_req, reply) => {
    const [temporal, storage, ffmpeg] = await Promise.all([
      check(async () => {
        await deps.client.workflowService.getSystemInfo({});
        return `connected to ${deps.temporalAddress}`;
      }),
      check(async () => {
        await deps.storage.health();
        return `${deps.storage.driver} storage writable`;
      }),
      check(ffmpegVersion),
    ]);
    const workers = await check(async () => {
      const queues = await taskQueueState(deps.client, deps.namespace, Object.values(TASK_QUEUES));
      const missing = queues.filter((q) => q.workflowPollers + q.activityPollers === 0 && q.name !== TASK_QUEUES.gpu && q.name !== TASK_QUEUES.browser);
      if (missing.length) throw new Error(`no worker polls ${missing.map((q) => q.name).join(', ')}`);
      return { message: 'workers polling', taskQueues: queues };
    });
    const gpu = await check(async () => deps.gpuHealth());
    const components = { temporal, workers, storage, ffmpeg, gpu };
    const healthy = Object.values(components).every((c) => c.healthy);
    let queue: Record<string, number> | null = null;
    if (temporal.healthy) {
      const count = (s: 'QUEUED' | 'PROCESSING' | 'COMPLETED' | 'FAILED') => deps.jobs.count(deps.listQuery({ status: s })).catch(() => 0);
      const [queued, processing, completed, failed] = await Promise.all([count('QUEUED'), count('PROCESSING'), count('COMPLETED'), count('FAILED')]);
      queue = { queued, processing, completed, failed, activeWorkers: Math.min(processing, deps.gpuWorkers), availableWorkers: Math.max(0, deps.gpuWorkers - processing) };
    }
    return reply.code(healthy ? 200 : 503).send({
      status: healthy ? 'healthy' : 'degraded',
      service: 'AutoDark Orchestrator',
      timestamp: new Date().toISOString(),
      uptime: (Date.now() - startedAt) / 1000,
      queue,
      components,
      ...(healthy ? {} : { error: Object.entries(components).filter(([, c]) => !c.healthy).map(([k, c]) => `${k}: ${c.message}`).join('; ') }),
    });
  });

  app.get('/vps/audio/health', { config: { public: true }, schema: { tags: ['Health'] } }, async (_req, reply) => {
    const ffmpeg = await check(ffmpegVersion);
    return reply.code(ffmpeg.healthy ? 200 : 503).send({
      status: ffmpeg.healthy ? 'healthy' : 'unhealthy',
      service: 'VPS Audio Processor',
      ffmpeg: ffmpeg.healthy ? 'available' : 'unavailable',
      timestamp: new Date().toISOString(),
    });
  });

  for (const [url, service] of [
    ['/runpod/audio/transcribe/health', 'transcription'],
    ['/runpod/audio/transcribe-whisper/health', 'transcription-whisper-official'],
  ] as const) {
    app.get(url, { config: { public: true }, schema: { tags: ['Health'] } }, async (_req, reply) => {
      const whisper = await check(async () => deps.gpuHealth());
      return reply.code(whisper.healthy ? 200 : 503).send({
        status: whisper.healthy ? 'healthy' : 'unhealthy',
        service,
        whisper: { healthy: whisper.healthy, message: whisper.message },
        timestamp: new Date().toISOString(),
      });
    });
  }
}
