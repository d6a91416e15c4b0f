/**
 * Fault injection against the real stack in separate processes: a Temporal dev server (SQLite), the API
 * and worker processes (`node <tsx cli> scripts/{api,worker}.ts`, as `npm start` runs them), the
 * RunPod-compatible local endpoint (in this process, so its submission counters can be read) and a moto
 * S3 server. Scenarios, each with its expected outcome asserted:
 *   1. kill -9 the worker during a local img2vid → new worker → COMPLETED, each output once, right duration
 *   2. kill -9 the worker while it polls a GPU img2vid → COMPLETED, one RunPod submission per chunk
 *   3. SIGTERM + restart of the Temporal dev server (same db, same port) during a job → COMPLETED
 *   4. S3 down (moto stopped before the job is submitted, which is deterministic):
 *      a) for good → 3 attempts, then FAILED with a message naming storage/upload;
 *      b) back once Temporal shows the 2nd attempt → COMPLETED, the object is in the bucket
 *   5. webhook receiver down ~20 s (compressed backoff) → delivered once, signed, attempts in GET /jobs/:id
 * Usage: npx tsx scripts/chaos.ts → PASS/FAIL table, bench/results/chaos.json, exit 1 on any FAIL.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { createLogger } from '../common/logger';
import { jobTempRoot } from '../common/work-dirs';
import { startLocalEndpoint, type LocalEndpoint } from '../runpod-local/server';
import { freePort, REPO_ROOT, startTemporalDevServer, type DevServer } from './temporal-dev';

const run = promisify(execFile);
const API_KEY = 'chaos-api-key-0123456789abcdef';
const GPU_KEY = 'chaos-gpu-key-0123456789abcdef';
const WEBHOOK_SECRET = `whsec_${Buffer.from('autodark-chaos-webhook-secret-32').toString('base64')}`;
const TERMINAL = ['COMPLETED', 'FAILED', 'CANCELLED'];

interface JobView {
  jobId: string;
  status: string;
  error?: string;
  result?: { videos?: { id: string; video_url: string }[] };
  progress?: { completed: number; total: number; percentage: number; stage: string };
  webhook?: { delivered: boolean; attempts: { statusCode?: number; error?: string }[] };
}
interface Outcome {
  scenario: string;
  expected: string;
  pass: boolean;
  seconds: number;
  details: Record<string, unknown>;
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (msg: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${msg}`);
function check(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(what);
}

/** A child process in its own process group: tsx's cli runs the script in a grandchild, and kill -9 must reach it. */
class Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  constructor(readonly name: string, script: string, env: NodeJS.ProcessEnv, readonly logFile: string) {
    const fd = openSync(logFile, 'a');
    this.child = spawn(process.execPath, [require.resolve('tsx/cli'), script], { cwd: REPO_ROOT, env, stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    this.exited = new Promise((r) => this.child.once('exit', () => r()));
    live.add(this);
  }
  private groupAlive(): boolean {
    try {
      process.kill(-this.child.pid!, 0);
      return true;
    } catch {
      return false;
    }
  }
  /** Signals the whole group and waits until no process of it is left. */
  async kill(signal: NodeJS.Signals, graceMs = 15_000): Promise<void> {
    const deadline = Date.now() + graceMs;
    if (this.groupAlive()) process.kill(-this.child.pid!, signal);
    while (this.groupAlive()) {
      if (Date.now() > deadline) process.kill(-this.child.pid!, 'SIGKILL');
      await sleep(100);
    }
    live.delete(this);
  }
  tail(lines = 15): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8').trim().split('\n').slice(-lines).join('\n') : '';
  }
}
const live = new Set<Proc>();

/** A webhook receiver that can really go down (its port refuses connections) and come back on the same port. */
class Receiver {
  readonly received: { body: Record<string, unknown>; signatureValid: boolean }[] = [];
  private server?: Server;
  private readonly verifier = new Webhook(WEBHOOK_SECRET);
  constructor(readonly port: number) {}
  get url() {
    return `http://127.0.0.1:${this.port}/hook`;
  }
  up(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let signatureValid = true;
        try {
          this.verifier.verify(raw, req.headers as Record<string, string>);
        } catch {
          signatureValid = false;
        }
        this.received.push({ body: JSON.parse(raw) as Record<string, unknown>, signatureValid });
        res.writeHead(200).end('{"ok":true}');
      });
    });
    return new Promise((r) => this.server!.listen(this.port, '127.0.0.1', r));
  }
  down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  }
}

/** moto in server mode on a fixed port, so "storage comes back" means the same endpoint answers again. */
class S3Server {
  private proc?: ChildProcess;
  constructor(readonly port: number, readonly bucket: string) {}
  get endpoint() {
    return `http://127.0.0.1:${this.port}`;
  }
  client() {
    return new S3Client({ endpoint: this.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'chaos', secretAccessKey: 'chaossecret' } });
  }
  async start(): Promise<void> {
    this.proc = spawn(resolve(REPO_ROOT, '.venv/bin/moto_server'), ['-H', '127.0.0.1', '-p', String(this.port)], { stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await fetch(this.endpoint, { signal: AbortSignal.timeout(500) });
        break;
      } catch {
        if (Date.now() > deadline || this.proc.exitCode !== null) throw new Error('moto_server did not start');
        await sleep(150);
      }
    }
    // moto keeps buckets in memory: every start is an empty store
    await this.client().send(new CreateBucketCommand({ Bucket: this.bucket }));
  }
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((r) => {
      proc.once('exit', () => r());
      proc.kill('SIGTERM');
    });
  }
}

class Chaos {
  readonly dir = mkdtempSync(join(tmpdir(), 'autodark-chaos-'));
  readonly dataDir = join(this.dir, 'data');
  readonly dbFile = join(this.dir, 'temporal.db');
  temporal!: DevServer;
  temporalPort!: number;
  endpoint!: LocalEndpoint;
  receiver!: Receiver;
  apiPort!: number;
  api?: Proc;
  worker?: Proc;
  extraEnv: NodeJS.ProcessEnv = {};
  s3?: S3Stack;
  private workers = 0;

  get base() {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      TEMPORAL_ADDRESS: this.temporal.address,
      DATA_DIR: this.dataDir,
      X_API_KEY: API_KEY,
      PORT: String(this.apiPort),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: this.base,
      ALLOWED_PRIVATE_HOSTS: '127.0.0.1,localhost',
      RUNPOD_API_KEY: GPU_KEY,
      RUNPOD_BASE_URL: this.endpoint.baseUrl,
      MAX_WORKERS: '2',
      WEBHOOK_SECRET,
      // "10 minutes of retries" compressed: 0.5 s, 1 s, 2 s, 3 s, 3 s, ...
      WEBHOOK_INITIAL_RETRY_MS: '500',
      WEBHOOK_MAX_RETRY_INTERVAL_MS: '3000',
      LOG_LEVEL: 'warn',
      ...this.extraEnv,
    };
  }

  async setup(): Promise<void> {
    mkdirSync(join(this.dataDir, 'files', 'in'), { recursive: true });
    await run('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'mandelbrot=size=1280x720', '-frames:v', '1', join(this.dataDir, 'files', 'in', 'photo.jpg')]);
    this.temporalPort = await freePort();
    this.temporal = await startTemporalDevServer({ dbFile: this.dbFile, port: this.temporalPort, headless: true });
    this.endpoint = await startLocalEndpoint({
      apiKey: GPU_KEY,
      port: 0,
      maxWorkers: 2,
      idleTimeoutMs: 300_000,
      endpoints: [{ id: 'autodark-gpu', command: [resolve(REPO_ROOT, '.venv/bin/python'), '-u', 'gpu-worker/handler.py'] }],
      logger: createLogger('runpod-local', 'silent'),
    });
    this.receiver = new Receiver(await freePort());
    await this.receiver.up();
    this.apiPort = await freePort();
    await this.startApi();
    await this.startWorker();
  }

  async startApi(): Promise<void> {
    this.api = new Proc('api', 'scripts/api.ts', this.env(), join(this.dir, 'api.log'));
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        // any answer will do: /health says 503 until a worker polls
        await fetch(`${this.base}/health`, { signal: AbortSignal.timeout(1000) });
        return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`API did not come up:\n${this.api.tail()}`);
      await sleep(300);
    }
  }

  async startWorker(): Promise<Proc> {
    const n = ++this.workers;
    const env = { ...this.env(), WORKER_METRICS_PORT: String(await freePort()), WORKER_SDK_METRICS_PORT: String(await freePort()) };
    this.worker = new Proc(`worker-${n}`, 'scripts/worker.ts', env, join(this.dir, `worker-${n}.log`));
    // ready when its metrics port answers (it listens once the Temporal connection is up)
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        await fetch(`http://127.0.0.1:${env.WORKER_METRICS_PORT}/metrics`, { signal: AbortSignal.timeout(1000) });
        return this.worker;
      } catch {
        if (Date.now() > deadline || this.worker.child.exitCode !== null) throw new Error(`worker did not start:\n${this.worker.tail()}`);
        await sleep(300);
      }
    }
  }

  async stopAppProcesses(): Promise<void> {
    await this.worker?.kill('SIGTERM', 30_000);
    await this.api?.kill('SIGTERM');
    this.worker = this.api = undefined;
  }

  async http<T>(path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const res = await fetch(`${this.base}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { 'x-api-key': API_KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json()) as T };
  }

  async submit(route: string, body: Record<string, unknown>): Promise<string> {
    const { status, json } = await this.http<{ jobId: string }>(route, { webhook_url: this.receiver.url, ...body });
    check(status === 202, `${route} answered ${status}: ${JSON.stringify(json)}`);
    return json.jobId;
  }

  async job(id: string): Promise<JobView> {
    return (await this.http<JobView>(`/jobs/${id}`)).json;
  }

  async waitFor(id: string, done: (j: JobView) => boolean, timeoutMs: number): Promise<JobView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let job: JobView | undefined;
      try {
        job = await this.job(id);
      } catch {
        // the API may be briefly unable to reach Temporal (scenario 3)
      }
      if (job && done(job)) return job;
      if (Date.now() > deadline) throw new Error(`job ${id} still ${job?.status ?? 'unknown'} after ${timeoutMs / 1000} s`);
      await sleep(250);
    }
  }

  /** Every output of an img2vid in local storage: present, one per image, right duration, nothing else in the folder. */
  async checkLocalOutputs(job: JobView, images: number, seconds: number): Promise<Record<string, unknown>> {
    const videos = job.result?.videos ?? [];
    check(videos.length === images, `expected ${images} videos in the result, got ${videos.length}`);
    const files = videos.map((v) => join(this.dataDir, 'files', decodeURIComponent(new URL(v.video_url).pathname.replace(/^\/files\//, ''))));
    check(new Set(files).size === images, 'two result entries point at the same file');
    const folder = dirname(files[0]);
    const inFolder = readdirSync(folder);
    check(inFolder.length === images, `output folder holds ${inFolder.length} entries for ${images} outputs: ${inFolder.join(', ')}`);
    const durations: number[] = [];
    for (const file of files) {
      check(existsSync(file), `missing output ${file}`);
      const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
      durations.push(Number(stdout.trim()));
    }
    const off = durations.filter((d) => !(Math.abs(d - seconds) <= 0.15));
    check(off.length === 0, `durations off ${seconds} s: ${off.join(', ')}`);
    return { outputs: images, durations: [Math.min(...durations), Math.max(...durations)] };
  }

  async cleanup(): Promise<void> {
    for (const p of [...live]) await p.kill('SIGKILL').catch(() => undefined);
    await this.s3?.close().catch(() => undefined);
    await this.endpoint?.close().catch(() => undefined);
    await this.receiver?.down().catch(() => undefined);
    await this.temporal?.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const images = (c: Chaos, n: number, seconds: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${String(i).padStart(2, '0')}`, image_url: `${c.base}/files/in/photo.jpg`, duracao: seconds }));
const isTerminal = (j: JobView) => TERMINAL.includes(j.status);

async function killWorkerDuringLocalJob(c: Chaos): Promise<Record<string, unknown>> {
  // big enough to still be running a moment after it starts (img2vid renders fast)
  const id = await c.submit('/vps/video/img2vid', { path: 'chaos/s1/', images: images(c, 12, 5, 's1'), resolution: '1280x720', zoom_types: ['zoomin', 'zoomout', 'zoompanright'] });
  const running = await c.waitFor(id, (j) => j.status === 'PROCESSING' || isTerminal(j), 60_000);
  check(running.status === 'PROCESSING', `job was ${running.status} before the kill`);
  await sleep(1500);
  const atKill = await c.job(id);
  check(atKill.status === 'PROCESSING', `job was already ${atKill.status} when the worker was killed`);
  // the killed worker cannot remove its work dir: the next worker on this host sweeps it
  const workDirs = () => readdirSync(jobTempRoot()).filter((name) => name.includes(id));
  const dirsAtKill = workDirs();
  check(dirsAtKill.length === 1, `expected the job's work dir, found: ${dirsAtKill.join(', ') || 'none'}`);
  const killedAt = Date.now();
  await c.worker!.kill('SIGKILL');
  await c.startWorker();
  const job = await c.waitFor(id, isTerminal, 240_000);
  check(job.status === 'COMPLETED', `job ended ${job.status}: ${job.error}`);
  const leftover = workDirs();
  check(leftover.length === 0, `work dirs left behind: ${leftover.join(', ')}`);
  return { jobId: id, progressAtKill: atKill.progress, completedAfterKillS: (Date.now() - killedAt) / 1000, workDirSwept: dirsAtKill[0], ...(await c.checkLocalOutputs(job, 12, 5)) };
}

async function killWorkerWhileGpuPolls(c: Chaos): Promise<Record<string, unknown>> {
  const stats = () => c.endpoint.stats().find((s) => s.endpointId === 'autodark-gpu')!.counters;
  const before = { ...stats() };
  // 40 images = 2 RunPod jobs (34 images per chunk)
  const id = await c.submit('/runpod/video/img2vid', { path: 'chaos/s2/', images: images(c, 40, 1, 's2'), resolution: '320x180', fps: 12, zoom_types: ['zoomin', 'zoomout'] });
  const deadline = Date.now() + 120_000;
  while (stats().submitted - before.submitted < 2) {
    check(Date.now() < deadline, `only ${stats().submitted - before.submitted} GPU jobs submitted after 120 s`);
    await sleep(100);
  }
  await sleep(1000); // the awaiting activities are polling now
  const gpuDoneAtKill = stats().completed - before.completed;
  check(gpuDoneAtKill < 2, 'both GPU jobs finished before the kill; nothing was being polled');
  const killedAt = Date.now();
  await c.worker!.kill('SIGKILL');
  await c.startWorker();
  const job = await c.waitFor(id, isTerminal, 300_000);
  check(job.status === 'COMPLETED', `job ended ${job.status}: ${job.error}`);
  const submissions = stats().submitted - before.submitted;
  check(submissions === 2, `the endpoint saw ${submissions} submissions for 2 chunks`);
  return { jobId: id, chunks: 2, submissions, gpuJobsDoneAtKill: gpuDoneAtKill, completedAfterKillS: (Date.now() - killedAt) / 1000, ...(await c.checkLocalOutputs(job, 40, 1)) };
}

async function restartTemporal(c: Chaos): Promise<Record<string, unknown>> {
  const id = await c.submit('/vps/video/img2vid', { path: 'chaos/s3/', images: images(c, 8, 3, 's3'), resolution: '640x360', zoom_types: ['zoomin', 'zoompanleft'] });
  const running = await c.waitFor(id, (j) => j.status === 'PROCESSING' || isTerminal(j), 60_000);
  check(running.status === 'PROCESSING', `job was ${running.status} before the restart`);
  await sleep(2000);
  check((await c.job(id)).status === 'PROCESSING', 'job finished before Temporal was stopped');
  const stoppedAt = Date.now();
  await c.temporal.stop();
  await sleep(3000);
  c.temporal = await startTemporalDevServer({ dbFile: c.dbFile, port: c.temporalPort, headless: true });
  const downS = (Date.now() - stoppedAt) / 1000;
  const job = await c.waitFor(id, isTerminal, 240_000);
  check(job.status === 'COMPLETED', `job ended ${job.status}: ${job.error}`);
  check(c.worker!.child.exitCode === null, `the worker exited during the restart:\n${c.worker!.tail()}`);
  return { jobId: id, temporalDownS: downS, completedAfterRestartS: (Date.now() - stoppedAt) / 1000 - downS, ...(await c.checkLocalOutputs(job, 8, 3)) };
}

async function webhookReceiverDown(c: Chaos): Promise<Record<string, unknown>> {
  await c.receiver.down();
  const downAt = Date.now();
  const id = await c.submit('/vps/video/img2vid', { path: 'chaos/s5/', images: images(c, 1, 1, 's5'), resolution: '320x180' });
  const job = await c.waitFor(id, isTerminal, 120_000);
  check(job.status === 'COMPLETED', `job ended ${job.status}: ${job.error}`);
  await sleep(Math.max(0, 20_000 - (Date.now() - downAt)));
  const whileDown = (await c.job(id)).webhook?.attempts.length ?? 0;
  await c.receiver.up();
  const upAt = Date.now();
  const deadline = upAt + 30_000;
  while (!c.receiver.received.some((w) => w.body.jobId === id)) {
    check(Date.now() < deadline, 'webhook not delivered within 30 s of the receiver coming back');
    await sleep(100);
  }
  const deliveredAfterUpS = (Date.now() - upAt) / 1000;
  await sleep(5000); // a duplicate would arrive by now
  const mine = c.receiver.received.filter((w) => w.body.jobId === id);
  check(mine.length === 1, `webhook delivered ${mine.length} times`);
  check(mine[0].signatureValid, 'Standard Webhooks signature did not verify');
  check(mine[0].body.status === 'COMPLETED', `webhook says ${String(mine[0].body.status)}`);
  const view = await c.job(id);
  const attempts = view.webhook?.attempts ?? [];
  check(view.webhook?.delivered === true, 'GET /jobs/:id does not say delivered');
  check(whileDown >= 5, `only ${whileDown} attempts in ~20 s down`);
  check(attempts.at(-1)?.statusCode === 200 && attempts.slice(0, -1).every((a) => a.statusCode === undefined && a.error), 'attempts are not N refused + one 200');
  return { jobId: id, downS: (upAt - downAt) / 1000, attemptsWhileDown: whileDown, attemptsRecorded: attempts.length, firstError: attempts[0]?.error, deliveredAfterUpS };
}

/** History of a closed or running job: the attempts its local activity made. */
async function activityAttempts(client: Client, jobId: string): Promise<number> {
  const history = await client.workflow.getHandle(jobId).fetchHistory();
  return Math.max(0, ...(history.events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0));
}

interface S3Stack {
  s3: S3Server;
  client: Client;
  photoUrl: string;
  close(): Promise<void>;
}

/** Replaces the local-storage API and worker with S3-backed ones (same task queues: a local-storage worker must not take the work). */
async function s3Stack(c: Chaos): Promise<S3Stack> {
  if (c.s3) return c.s3;
  await c.stopAppProcesses();
  const s3 = new S3Server(await freePort(), 'chaos');
  await s3.start();
  c.extraEnv = { STORAGE_DRIVER: 's3', S3_ENDPOINT_URL: s3.endpoint, S3_ACCESS_KEY: 'chaos', S3_SECRET_KEY: 'chaossecret', S3_BUCKET_NAME: s3.bucket };
  // inputs come from a plain file server now (with S3 storage the API serves no /files)
  const photo = readFileSync(join(c.dataDir, 'files', 'in', 'photo.jpg'));
  const files = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo));
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  const connection = await Connection.connect({ address: c.temporal.address });
  c.s3 = {
    s3,
    client: new Client({ connection }),
    photoUrl: `http://127.0.0.1:${(files.address() as { port: number }).port}/photo.jpg`,
    close: async () => {
      await connection.close();
      files.close();
      await s3.stop();
    },
  };
  await c.startApi();
  await c.startWorker();
  return c.s3;
}

const oneImage = (stack: S3Stack, path: string) => ({ path, images: [{ id: 'one', image_url: stack.photoUrl, duracao: 1 }], resolution: '320x180' });

/** S3 stopped before the job is submitted and never restarted: every attempt fails at the upload. */
async function storageDownForGood(c: Chaos): Promise<Record<string, unknown>> {
  const stack = await s3Stack(c);
  await stack.s3.stop();
  const id = await c.submit('/vps/video/img2vid', oneImage(stack, 'chaos/s4a/'));
  const job = await c.waitFor(id, isTerminal, 120_000);
  const attempts = await activityAttempts(stack.client, id);
  check(job.status === 'FAILED', `with storage down the job ended ${job.status}`);
  check(attempts === 3, `expected 3 attempts (the retry policy) before FAILED, saw ${attempts}`);
  check(/upload|storage|s3/i.test(job.error ?? ''), `FAILED as expected after ${attempts} attempts, but the error does not say storage/upload failed: "${job.error}"`);
  return { jobId: id, attempts, error: job.error };
}

/** S3 stopped before the job is submitted, restarted once Temporal shows the 2nd attempt (the 3rd comes 4 s after it fails). */
async function storageBackBeforeRetriesRunOut(c: Chaos): Promise<Record<string, unknown>> {
  const stack = await s3Stack(c);
  await stack.s3.stop();
  const id = await c.submit('/vps/video/img2vid', oneImage(stack, 'chaos/s4b/'));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pending = (await stack.client.workflow.getHandle(id).describe()).raw.pendingActivities ?? [];
    if ((pending[0]?.attempt ?? 0) >= 2) break;
    check(Date.now() < deadline, 'no second attempt within 60 s');
    await sleep(100);
  }
  await stack.s3.start();
  const job = await c.waitFor(id, isTerminal, 120_000);
  check(job.status === 'COMPLETED', `with storage back the job ended ${job.status}: ${job.error}`);
  const key = decodeURIComponent(new URL(job.result!.videos![0].video_url).pathname.replace(`/${stack.s3.bucket}/`, ''));
  const head = await stack.s3.client().send(new HeadObjectCommand({ Bucket: stack.s3.bucket, Key: key }));
  check((head.ContentLength ?? 0) > 0, `object ${key} is empty`);
  return { jobId: id, attempts: await activityAttempts(stack.client, id), key, bytes: head.ContentLength };
}

const SCENARIOS: { name: string; expected: string; run: (c: Chaos) => Promise<Record<string, unknown>> }[] = [
  { name: '1 kill -9 worker, local img2vid', expected: 'COMPLETED, 12 outputs once, 5 s each', run: killWorkerDuringLocalJob },
  { name: '2 kill -9 worker, GPU polling', expected: 'COMPLETED, 1 submission per chunk', run: killWorkerWhileGpuPolls },
  { name: '3 restart Temporal dev server', expected: 'COMPLETED', run: restartTemporal },
  { name: '5 webhook receiver down ~20 s', expected: 'delivered once, signed, attempts listed', run: webhookReceiverDown },
  { name: '4a S3 down for good', expected: 'FAILED after 3 tries, message names storage', run: storageDownForGood },
  { name: '4b S3 back after 1st failure', expected: 'COMPLETED, object in bucket', run: storageBackBeforeRetriesRunOut },
];

async function main(): Promise<number> {
  const c = new Chaos();
  const onSignal = () => void c.cleanup().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const outcomes: Outcome[] = [];
  const startedAt = Date.now();
  try {
    log('starting Temporal, the local GPU endpoint, the API and a worker…');
    await c.setup();
    // CHAOS_ONLY=1,4 runs those scenarios only
    const only = process.env.CHAOS_ONLY?.split(',').map((n) => n.trim());
    for (const s of SCENARIOS.filter((x) => !only || only.includes(x.name.split(' ')[0]))) {
      log(`scenario ${s.name}`);
      const t0 = Date.now();
      try {
        const details = await s.run(c);
        outcomes.push({ scenario: s.name, expected: s.expected, pass: true, seconds: (Date.now() - t0) / 1000, details });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        log(`FAIL: ${message}\n--- worker log tail ---\n${c.worker?.tail() ?? ''}`);
        outcomes.push({ scenario: s.name, expected: s.expected, pass: false, seconds: (Date.now() - t0) / 1000, details: {}, error: message });
        // the next scenario needs a running API and worker
        if (!c.api || c.api.child.exitCode !== null) await c.startApi().catch(() => undefined);
        if (!c.worker || !live.has(c.worker) || c.worker.child.exitCode !== null) await c.startWorker().catch(() => undefined);
      }
    }
  } finally {
    await c.cleanup();
  }
  console.table(outcomes.map((o) => ({ scenario: o.scenario, expected: o.expected, result: o.pass ? 'PASS' : 'FAIL', seconds: Math.round(o.seconds), error: o.error ?? '' })));
  const out = resolve(REPO_ROOT, 'bench', 'results', 'chaos.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ when: new Date().toISOString(), totalSeconds: (Date.now() - startedAt) / 1000, outcomes }, null, 2)}\n`);
  log(`written ${out}`);
  return outcomes.length === SCENARIOS.length && outcomes.every((o) => o.pass) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('[chaos]', err);
    process.exit(1);
  },
);
