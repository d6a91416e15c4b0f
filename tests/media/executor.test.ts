/**
 * The local plan executor on real ffmpeg runs: dependency order, steps running side by side,
 * progress, cancellation, and failures that name the step or the input.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadToFile } from '../../common/net/download';
import { Guard } from '../../common/net/guarded-fetch';
import { guardedAgent, parseAllowList } from '../../common/net/ssrf';
import { LocalStorage } from '../../common/storage';
import type { LocalRunContext } from '../../media/context';
import { createLocalPrepareEnv, executePlan } from '../../media/executor';
import type { Plan } from '../../media/plan';
import { serveDirectory, type FileServer } from '../helpers/http-files';
import { ffmpeg } from '../helpers/media';
import { expectFailure, streamDuration, streams } from './measure';

let root: string;
let files: FileServer;
let storage: LocalStorage;
let guard: Guard;
let jobs = 0;

const X264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'autodark-executor-test-'));
  const media = join(root, 'media');
  await mkdir(media);
  files = await serveDirectory(media);
  storage = new LocalStorage(join(root, 'data'), 'http://127.0.0.1:9', 'test-signing-key');
  const allow = parseAllowList(['127.0.0.1']);
  guard = new Guard(allow, guardedAgent(allow));

  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240', '-frames:v', '1', join(media, 'photo.png')]);
  await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240', '-frames:v', '1', '-q:v', '3', join(media, 'photo.jpg')]);
  const jpg = await readFile(join(media, 'photo.jpg'));
  await writeFile(join(media, 'truncated.jpg'), jpg.subarray(0, Math.floor(jpg.length * 0.6)));
  const png = await readFile(join(media, 'photo.png'));
  await writeFile(join(media, 'truncated.png'), png.subarray(0, Math.floor(png.length * 0.6)));
  await writeFile(join(media, 'page.html'), '<!doctype html><html><body>Not found</body></html>');
  await writeFile(join(media, 'bomb.png'), pngBomb(40000, 40000));
});

afterAll(async () => {
  await files?.close();
  await rm(root, { recursive: true, force: true });
});

/** A 70-byte PNG whose header declares width×height RGB pixels (a decompression bomb's calling card). */
function pngBomb(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(64))), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

interface Rig {
  ctx: LocalRunContext;
  progress: { stage: string; percent: number }[];
  abort: AbortController;
}

async function rig(): Promise<Rig> {
  const workDir = await mkdtemp(join(root, `job-${++jobs}-`));
  const abort = new AbortController();
  const progress: Rig['progress'] = [];
  return {
    abort,
    progress,
    ctx: {
      jobId: `exec-${jobs}`,
      workDir,
      signal: abort.signal,
      progress: (u) => progress.push(u),
      storage,
      download: async (url, label, dest) => {
        await downloadToFile(guard, url, dest, { label, maxBytes: 64 * 1024 * 1024, timeoutMs: 30_000, signal: abort.signal });
      },
    },
  };
}

function plan(p: Partial<Plan> & Pick<Plan, 'steps' | 'outputs'>): Plan {
  return { version: 1, operation: 'test', inputs: [], files: [], encoders: { libx264: X264 }, maxParallelSteps: 4, ...p } as Plan;
}

/** ffmpeg processes whose command line mentions `text` (our work dirs are unique per test) */
function ffmpegProcessesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
        return cmd.startsWith('ffmpeg') && cmd.includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('executePlan', () => {
  it('runs steps after their dependencies, expands every token, uploads the outputs and reports libx264', async () => {
    const { ctx, progress } = await rig();
    const run = await executePlan(
      plan({
        inputs: [{ id: 'pic', url: files.url('photo.png'), kind: 'image', label: 'images[0].image_url' }],
        files: [{ name: 'list.txt', content: 'hello' }],
        steps: [
          { id: 'red', argv: ['-f', 'lavfi', '-i', 'color=red:size=160x120:duration=1', '{venc}', '{tmp:red.mp4}'], dependsOn: [], durationSeconds: 1 },
          { id: 'pic', argv: ['-loop', '1', '-i', '{in:pic}', '-t', '1', '-vf', 'scale=160:120', '{venc}', '{tmp:pic.mp4}'], dependsOn: [], durationSeconds: 1 },
          // reads both intermediates: fails unless both steps before it have finished
          {
            id: 'join',
            argv: ['-i', '{tmp:red.mp4}', '-i', '{tmp:pic.mp4}', '-filter_complex', '[0:v][1:v]concat=n=2:v=1[v]', '-map', '[v]', '-metadata', 'comment={file:list.txt}', '{venc}', '{out:joined}'],
            dependsOn: ['red', 'pic'],
            durationSeconds: 2,
            weight: 2,
          },
        ],
        outputs: [{ id: 'joined', key: 'exec/joined.mp4', contentType: 'video/mp4' }],
      }),
      ctx,
    );
    expect(run.codec).toBe('libx264');
    expect(run.uploaded.joined).toMatchObject({ key: 'exec/joined.mp4', url: 'http://127.0.0.1:9/files/exec/joined.mp4' });
    const stored = storage.pathOf('exec/joined.mp4');
    expect(await streamDuration(stored, 'video')).toBeCloseTo(2, 1);
    expect(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format_tags=comment', '-of', 'csv=p=0', stored]).toString().trim()).toContain('list.txt');
    expect(run.uploaded.joined.bytes).toBe(readFileSync(stored).length);

    // progress: never backwards, through the stages, ending at 100
    const percents = progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(progress.map((p) => p.stage)).toEqual(expect.arrayContaining(['downloading', 'processing', 'uploading']));
    expect(progress.at(-1)).toEqual({ stage: 'uploading', percent: 100 });
  });

  it('runs independent steps at the same time (one writes a pipe the other reads)', async () => {
    const { ctx } = await rig();
    // a FIFO blocks its writer until a reader opens it: the plan only finishes if both run at once
    await mkdir(join(ctx.workDir, 'tmp'), { recursive: true });
    execFileSync('mkfifo', [join(ctx.workDir, 'tmp', 'pipe.nut')]);
    const run = await executePlan(
      plan({
        steps: [
          { id: 'writer', argv: ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:duration=1', '-c:v', 'rawvideo', '-f', 'nut', '{tmp:pipe.nut}'], dependsOn: [] },
          { id: 'reader', argv: ['-f', 'nut', '-i', '{tmp:pipe.nut}', '-c:v', 'ffv1', '{out:copy}'], dependsOn: [] },
        ],
        outputs: [{ id: 'copy', key: 'exec/pipe.mkv', contentType: 'video/x-matroska' }],
      }),
      ctx,
    );
    expect(run.codec).toBe('copy');
    expect((await streams(storage.pathOf('exec/pipe.mkv')))[0]).toMatchObject({ codec_name: 'ffv1', width: 160 });
  });

  it('gives encodes running side by side a share of the cores each, and a lone encode all of them', async () => {
    const cores = availableParallelism();
    const clip = (id: string) => ({ id, argv: ['-f', 'lavfi', '-i', 'testsrc2=size=160x120:duration=0.5', '{venc}', `{out:${id}}`], dependsOn: [] });
    const out = (id: string) => ({ id, key: `exec/threads-${id}.mp4`, contentType: 'video/mp4' });
    await executePlan(plan({ steps: [clip('a'), clip('b')], outputs: [out('a'), out('b')], maxParallelSteps: 2 }), (await rig()).ctx);
    await executePlan(plan({ steps: [clip('alone')], outputs: [out('alone')] }), (await rig()).ctx);
    // libx264 writes the settings it ran with into the stream ("… threads=1 …")
    const threadsOf = (id: string) => Number(/ threads=(\d+) /.exec(readFileSync(storage.pathOf(`exec/threads-${id}.mp4`), 'latin1'))?.[1]);
    if (cores >= 2) {
      expect(threadsOf('a')).toBe(Math.floor(cores / 2));
      expect(threadsOf('b')).toBe(Math.floor(cores / 2));
      expect(threadsOf('alone')).toBeGreaterThan(Math.floor(cores / 2)); // x264's automatic count (1.5 × cores)
    } else {
      expect(threadsOf('a')).toBe(threadsOf('alone'));
    }
  });

  it('kills ffmpeg and rejects when the job is cancelled', async () => {
    const { ctx, progress, abort } = await rig();
    const running = executePlan(
      plan({
        // -re paces the input at real time: ten minutes, unless killed
        steps: [{ id: 'long', argv: ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10:duration=600', '{venc}', '{out:long}'], dependsOn: [], durationSeconds: 600 }],
        outputs: [{ id: 'long', key: 'exec/long.mp4', contentType: 'video/mp4' }],
      }),
      ctx,
    );
    // wait until ffmpeg is actually producing (its first progress report), then cancel
    await expect.poll(() => progress.filter((p) => p.stage === 'processing').length, { timeout: 30_000, interval: 100 }).toBeGreaterThan(0);
    expect(ffmpegProcessesMentioning(ctx.workDir).length).toBe(1);
    abort.abort(new Error('job cancelled'));
    await expect(running).rejects.toThrow('job cancelled');
    expect(ffmpegProcessesMentioning(ctx.workDir)).toEqual([]);
    expect(existsSync(storage.pathOf('exec/long.mp4'))).toBe(false);
  });

  it('names the failing step, with ffmpeg’s own explanation, and stops the others', async () => {
    const { ctx } = await rig();
    const err = await executePlan(
      plan({
        inputs: [{ id: 'pic', url: files.url('photo.jpg'), kind: 'image', label: 'images[4].image_url' }],
        steps: [
          { id: 'slow', argv: ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10:duration=600', '{venc}', '{out:slow}'], dependsOn: [] },
          { id: 'broken', argv: ['-i', '{in:pic}', '-vf', 'nosuchfilter', '{out:broken}'], dependsOn: [] },
        ],
        outputs: [
          { id: 'slow', key: 'exec/slow.mp4', contentType: 'video/mp4' },
          { id: 'broken', key: 'exec/broken.mp4', contentType: 'video/mp4' },
        ],
      }),
      ctx,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    const failure = err as ApplicationFailure;
    expect(failure.message).toMatch(/^step "broken" \(input images\[4\]\.image_url\) failed: ffmpeg exited with code \d+/);
    expect(failure.message).toMatch(/No such filter: 'nosuchfilter'/);
    expect(failure.nonRetryable).toBe(true);
    expect(ffmpegProcessesMentioning(ctx.workDir)).toEqual([]);
  });

  it('refuses plans that refer to things they do not define, before running anything', async () => {
    const { ctx } = await rig();
    const outputs = [{ id: 'o', key: 'exec/o.mp4', contentType: 'video/mp4' }];
    await expect(executePlan(plan({ steps: [{ id: 'a', argv: ['-i', '{in:missing}', '{out:o}'], dependsOn: [] }], outputs }), ctx)).rejects.toThrow('step "a" reads unknown input "missing"');
    await expect(
      executePlan(
        plan({
          steps: [
            { id: 'a', argv: ['{out:o}'], dependsOn: ['b'] },
            { id: 'b', argv: ['{out:o}'], dependsOn: ['a'] },
          ],
          outputs,
        }),
        ctx,
      ),
    ).rejects.toThrow(/cycle: a -> b -> a/);
    await expect(executePlan(plan({ steps: [{ id: 'a', argv: ['-i', 'x', 'o.mp4'], dependsOn: [] }], outputs }), ctx)).rejects.toThrow('no step writes output "o"');
    expect(existsSync(join(ctx.workDir, 'out'))).toBe(false);
  });
});

describe('input checks', () => {
  async function runWithImage(name: string) {
    const { ctx } = await rig();
    return executePlan(
      plan({
        inputs: [
          { id: 'ok', url: files.url('photo.jpg'), kind: 'image', label: 'images[0].image_url' },
          { id: 'bad', url: files.url(name), kind: 'image', label: 'images[1].image_url' },
        ],
        steps: [{ id: 'use', argv: ['-i', '{in:bad}', '{venc}', '{out:o}'], dependsOn: [] }],
        outputs: [{ id: 'o', key: `exec/${name}.mp4`, contentType: 'video/mp4' }],
      }),
      ctx,
    );
  }

  it('refuses a file that is not an image', async () => {
    await expectFailure(runWithImage('page.html'), 'BadMedia', 'images[1].image_url', /not an image/);
  });

  it('refuses a 40000x40000 PNG from its header, before any decoder sees it', async () => {
    await expectFailure(runWithImage('bomb.png'), 'BadMedia', 'images[1].image_url', /40000x40000 \(1600 megapixels\), over the 100-megapixel limit/);
  });

  it('refuses truncated JPEG and PNG files', async () => {
    await expectFailure(runWithImage('truncated.jpg'), 'BadMedia', 'images[1].image_url', /JPEG image could not be decoded, it is truncated or corrupt/);
    await expectFailure(runWithImage('truncated.png'), 'BadMedia', 'images[1].image_url', /PNG image could not be decoded, it is truncated or corrupt/);
  });

  it('fails a download that 404s naming the input', async () => {
    await expectFailure(runWithImage('missing.jpg'), 'BadInput', 'images[1].image_url', /HTTP 404/);
  });

  it('probeInput downloads once per URL, shares the files with the executor, and refuses bombs before ffprobe', async () => {
    const { ctx } = await rig();
    const env = createLocalPrepareEnv(ctx);
    const a = await env.probeInput(files.url('photo.png'), 'a');
    const b = await env.probeInput(files.url('photo.png'), 'b');
    expect(a.path).toBe(b.path);
    expect(Object.keys(env.localInputs)).toEqual([files.url('photo.png')]);
    expect(a.streams[0]).toMatchObject({ codecType: 'video', codecName: 'png', width: 320, height: 240 });
    // the executor fetches what prepare did not, next to what it did, and reuses the probed file
    await executePlan(
      plan({
        inputs: [
          { id: 'png', url: files.url('photo.png'), kind: 'image', label: 'a' },
          { id: 'jpg', url: files.url('photo.jpg'), kind: 'image', label: 'b' },
        ],
        steps: [{ id: 'both', argv: ['-i', '{in:png}', '-i', '{in:jpg}', '-filter_complex', '[0:v][1:v]hstack', '-frames:v', '1', '{out:o}'], dependsOn: [] }],
        outputs: [{ id: 'o', key: 'exec/both.png', contentType: 'image/png' }],
      }),
      ctx,
      env.localInputs,
    );
    expect((await streams(storage.pathOf('exec/both.png')))[0]).toMatchObject({ codec_name: 'png', width: 640, height: 240 });
    expect((await readFile(a.path)).subarray(1, 4).toString()).toBe('PNG');
    expect(Object.keys(env.localInputs)).toEqual([files.url('photo.png'), files.url('photo.jpg')]);
    await expectFailure(env.probeInput(files.url('bomb.png'), 'images[2].image_url'), 'BadMedia', 'images[2].image_url', /megapixel limit/);
    await expectFailure(env.probeInput(files.url('page.html'), 'url_video'), 'BadMedia', 'url_video', /not a readable media file/);
  });
});
