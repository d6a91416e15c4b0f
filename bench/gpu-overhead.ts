/**
 * The same img2vid plan through the local executor (/vps) and through the RunPod-compatible local
 * endpoint with a real gpu-worker (/runpod), side by side in one run, plus the endpoint's cold start
 * (0 workers → first job running, RunPod's delayTime). Run: `npx tsx bench/gpu-overhead.ts`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import runpodSdk from 'runpod-sdk';
import { createLogger } from '../common/logger';
import { startLocalEndpoint } from '../runpod-local/server';
import { startBenchStack } from './stack';

const run = promisify(execFile);
const REPO = resolve(__dirname, '..');
const GPU_KEY = 'bench-gpu-key-0123456789abcdef';
const IMAGES = Number(process.env.BENCH_IMAGES ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'autodark-gpu-bench-'));
  const endpoint = await startLocalEndpoint({
    apiKey: GPU_KEY,
    port: 0,
    maxWorkers: 1,
    idleTimeoutMs: 600_000,
    endpoints: [{ id: 'autodark-gpu', command: [resolve(REPO, '.venv/bin/python'), '-u', 'gpu-worker/handler.py'] }],
    logger: createLogger('bench', 'silent'),
  });
  const stack = await startBenchStack(dir, { RUNPOD_API_KEY: GPU_KEY, RUNPOD_BASE_URL: endpoint.baseUrl, VPS_MAX_CONCURRENT_JOBS: '1', MAX_WORKERS: '1' });
  const { base, runtime } = stack;
  const files = join(stack.config.DATA_DIR, 'files', 'in');
  mkdirSync(files, { recursive: true });
  await run('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'mandelbrot=size=1600x1200', '-frames:v', '1', join(files, 'photo.jpg')]);

  // cold start: a one-frame plan on an endpoint with no worker running
  const sdkEndpoint = runpodSdk(GPU_KEY, { baseUrl: endpoint.baseUrl }).endpoint('autodark-gpu')!;
  const cold = await sdkEndpoint.run({ input: { kind: 'plan', plan: { version: 1, operation: 'probe', inputs: [], steps: [{ id: 's', argv: ['-f', 'lavfi', '-i', 'color=size=64x64:duration=0.04', '-frames:v', '1', '{out:o}'] }], outputs: [{ id: 'o', key: 'bench/cold.png', contentType: 'image/png', upload: await runtime.storage.uploadTarget('bench/cold.png', 'image/png') }] } } });
  let coldStatus: { status: string; delayTime?: number; executionTime?: number } = { status: 'IN_QUEUE' };
  while (!['COMPLETED', 'FAILED'].includes(coldStatus.status)) {
    await new Promise((r) => setTimeout(r, 200));
    coldStatus = (await sdkEndpoint.status(cold.id)) as typeof coldStatus;
  }

  const images = Array.from({ length: IMAGES }, (_, i) => ({ id: `p${i}`, image_url: `${base}/files/in/photo.jpg`, duracao: 3 }));
  const timeJob = async (route: string): Promise<number> => {
    const res = await fetch(`${base}${route}`, { method: 'POST', headers: { 'x-api-key': stack.apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ webhook_url: 'https://example.com/h', path: 'bench/', images, zoom_types: ['zoomin', 'zoomout', 'zoompanright'] }) });
    const { jobId } = (await res.json()) as { jobId: string };
    for (;;) {
      const job = (await (await fetch(`${base}/jobs/${jobId}`, { headers: { 'x-api-key': stack.apiKey } })).json()) as { status: string; createdAt: string; completedAt?: string; error?: string };
      if (job.status === 'COMPLETED') return (Date.parse(job.completedAt!) - Date.parse(job.createdAt)) / 1000;
      if (job.status === 'FAILED' || job.status === 'CANCELLED') throw new Error(`${route}: ${job.error}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const local: number[] = [];
  const gpu: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    local.push(await timeJob('/vps/video/img2vid'));
    gpu.push(await timeJob('/runpod/video/img2vid'));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const results = {
    images: IMAGES,
    clipSeconds: 3,
    rounds: ROUNDS,
    localExecutorSeconds: local,
    gpuEndpointSeconds: gpu,
    overheadRatio: Math.round((median(gpu) / median(local)) * 100) / 100,
    coldStart: { delayTimeMs: coldStatus.delayTime, executionTimeMs: coldStatus.executionTime },
  };
  console.table({ 'local executor (s, median)': median(local), 'local GPU endpoint (s, median)': median(gpu), 'overhead ×': results.overheadRatio, 'cold start delayTime (ms)': coldStatus.delayTime });
  mkdirSync(join(REPO, 'bench', 'results'), { recursive: true });
  writeFileSync(join(REPO, 'bench', 'results', 'gpu-overhead.json'), `${JSON.stringify(results, null, 2)}\n`);

  await stack.stop();
  await endpoint.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
