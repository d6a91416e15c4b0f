/**
 * Load: 500 jobs submitted concurrently through the real API (autocannon), run by real workers on a
 * real Temporal dev server. Reports submission latency (p50/p99) and req/s, then waits until every job
 * is terminal and counts completed / lost (no workflow for its key) / duplicated (more than one run
 * per idempotency key), and the jobs/s sustained from the first submission to the last completion.
 * The job is a cheap async one: addaudio of a 1 s clip and a 1 s tone served by the API's own /files.
 * Usage: npx tsx bench/load.ts   (LOAD_JOBS, LOAD_CONNECTIONS to change the shape) → bench/results/load.json
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { startBenchStack, type BenchStack } from './stack';
import { JobService } from '../api/jobs/service';

const JOBS = Number(process.env.LOAD_JOBS ?? 500);
const CONNECTIONS = Number(process.env.LOAD_CONNECTIONS ?? 100);
const run = promisify(execFile);

async function ffmpeg(args: string[]) {
  await run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args]);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'autodark-load-'));
  const stack = await startBenchStack(dir, { RATE_LIMIT_MAX: '1000000' });
  const { base, config, runtime } = stack;
  // webhooks land on a local receiver, so every job also runs its webhook delivery
  let webhooks = 0;
  const receiver = createServer((req, res) => {
    req.resume().on('end', () => {
      webhooks++;
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;

  const inputs = join(config.DATA_DIR, 'files', 'load');
  mkdirSync(inputs, { recursive: true });
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', join(inputs, 'clip.mp4')]);
  await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=1', '-c:a', 'libmp3lame', join(inputs, 'tone.mp3')]);

  const keys = Array.from({ length: JOBS }, (_, i) => `load-${process.pid}-${i}`);
  const body = JSON.stringify({
    webhook_url: hookUrl,
    path: 'load/out/',
    url_video: `${base}/files/load/clip.mp4`,
    url_audio: `${base}/files/load/tone.mp3`,
    output_filename: 'out.mp4',
  });
  const statuses: Record<number, number> = {};
  let next = 0;
  console.log(`submitting ${JOBS} addaudio jobs over ${CONNECTIONS} connections…`);
  const started = Date.now();
  const result = await autocannon({
    url: `${base}/vps/video/addaudio`,
    connections: CONNECTIONS,
    amount: JOBS,
    timeout: 60,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey },
        body,
        // one idempotency key per request: the job id derives from it, so lost and duplicated jobs show
        setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'idempotency-key': keys[next++ % JOBS] } }),
        onResponse: (status) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
        },
      },
    ],
  });
  const submitSeconds = (Date.now() - started) / 1000;
  console.log(`submitted in ${submitSeconds.toFixed(1)} s (${JSON.stringify(statuses)}); waiting for every job to finish…`);

  // every job to a final state (visibility: no mediaJob still running)
  const client = runtime.client;
  let polls = 0;
  for (;;) {
    const { count } = await client.workflow.count(`WorkflowType='mediaJob' AND ExecutionStatus='Running'`);
    if (count === 0) break;
    if (++polls % 20 === 0) console.log(`${count} jobs still running after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const allDoneSeconds = (Date.now() - started) / 1000;

  // per key: the job's final status (lost when none), and runs per workflow id (duplicates)
  const runsPerId = new Map<string, number>();
  for await (const wf of client.workflow.list({ query: `WorkflowType='mediaJob'` })) runsPerId.set(wf.workflowId, (runsPerId.get(wf.workflowId) ?? 0) + 1);
  const jobs = new JobService(client, { namespace: config.TEMPORAL_NAMESPACE, workers: { GPU: 1, VPS: 1 }, webhookPolicy: undefined as never });
  const final: Record<string, number> = {};
  let lost = 0;
  let duplicated = 0;
  for (const key of keys) {
    const id = JobService.jobIdFor(key);
    const runs = runsPerId.get(id) ?? 0;
    if (runs > 1) duplicated++;
    const view = await jobs.get(id);
    if (!view) lost++;
    else final[view.status] = (final[view.status] ?? 0) + 1;
  }
  const lastCompletion = await lastCloseTime(client);

  const report = {
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model },
    jobs: JOBS,
    connections: CONNECTIONS,
    operation: 'addaudio (VPS), 1 s 320x180 clip + 1 s tone, served by the API',
    vpsConcurrency: config.VPS_MAX_CONCURRENT_JOBS,
    submission: {
      statuses,
      latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: Math.round(result.latency.average * 100) / 100 },
      requestsPerSecond: Math.round((JOBS / submitSeconds) * 10) / 10,
      seconds: Math.round(submitSeconds * 100) / 100,
      errors: result.errors,
      timeouts: result.timeouts,
    },
    webhooksReceived: webhooks,
    outcome: { completed: final.COMPLETED ?? 0, failed: final.FAILED ?? 0, cancelled: final.CANCELLED ?? 0, lost, duplicated, workflowsTotal: [...runsPerId.values()].reduce((a, b) => a + b, 0) },
    throughput: {
      secondsToAllTerminal: Math.round(allDoneSeconds * 10) / 10,
      jobsPerSecond: Math.round((JOBS / ((lastCompletion ?? Date.now()) - started) * 1000) * 100) / 100,
    },
  };

  const out = resolve(__dirname, 'results', 'load.json');
  mkdirSync(resolve(__dirname, 'results'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.table({
    'submissions p50 (ms)': report.submission.latencyMs.p50,
    'submissions p99 (ms)': report.submission.latencyMs.p99,
    'submissions req/s': report.submission.requestsPerSecond,
    'HTTP statuses': JSON.stringify(statuses),
    completed: report.outcome.completed,
    failed: report.outcome.failed,
    lost: report.outcome.lost,
    duplicated: report.outcome.duplicated,
    'jobs/s sustained': report.throughput.jobsPerSecond,
    'seconds to all terminal': report.throughput.secondsToAllTerminal,
  });
  console.log(`written ${out}`);

  receiver.close();
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}

/** When the last mediaJob closed (ms since epoch), from visibility. */
async function lastCloseTime(client: BenchStack['runtime']['client']): Promise<number | undefined> {
  let last: number | undefined;
  for await (const wf of client.workflow.list({ query: `WorkflowType='mediaJob'` })) {
    const t = wf.closeTime?.getTime();
    if (t !== undefined && (last === undefined || t > last)) last = t;
  }
  return last;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
