/**
 * img2vid (API-CONTRACT §2.1, §2.7, §4): one silent Ken Burns clip per image, each exactly its own
 * `duracao` long (to the frame), cover-cropped to the output size, uploaded as <id>_video.mp4 under
 * `path`. The clips are independent plan steps, so executors run several at once.
 */
import { badInput } from '../../common/errors';
import type { StoredObject } from '../../common/storage';
import { joinKey, pathRaiz } from '../../common/storage/keys';
import type { Img2VidRequest } from '../../api/schemas/media';
import { assignZoomTypes } from '../kenburns/assign';
import { buildClip, type ZoomType } from '../kenburns/clip';
import { PLAN_VERSION, type Plan, type PlanInput } from '../plan';
import { MP4_OUT, planOutput, round3, VIDEO_ENCODERS } from './shared';
import type { OperationDef } from './types';

/** Executors cap this by their own core count; 16 is the seed's upper bound (1.5 × vCPU, max 16). */
const MAX_PARALLEL_CLIPS = 16;
const MIN_SIDE = 128;
const MAX_SIDE = 3840;

interface ClipMeta {
  filename: string;
  zoomType: ZoomType;
  /** seconds, frames / fps */
  duration: number;
}

export const img2vid: OperationDef<Img2VidRequest> = {
  async prepare(request, env) {
    const { width, height } = parseResolution(request.resolution);
    const fps = request.fps;
    const zoomTypes = assignZoomTypes(request.images.length, request.zoom_types, env.jobId);
    const filenames = uniqueFilenames(request.images.map((image) => image.id));

    const inputs: PlanInput[] = [];
    const inputByUrl = new Map<string, string>();
    const plan: Plan = { version: PLAN_VERSION, operation: 'img2vid', inputs, files: [], steps: [], outputs: [], encoders: VIDEO_ENCODERS, maxParallelSteps: MAX_PARALLEL_CLIPS };
    const clips: ClipMeta[] = [];

    for (const [i, image] of request.images.entries()) {
      // planning a clip is ~0.1 s of arithmetic: let heartbeats and cancellation through between clips
      await new Promise((resolve) => setImmediate(resolve));
      if (env.signal.aborted) throw env.signal.reason ?? new Error('cancelled');
      // the same picture used twice is fetched and checked once
      let input = inputByUrl.get(image.image_url);
      if (!input) {
        input = `image-${inputs.length}`;
        inputByUrl.set(image.image_url, input);
        inputs.push({ id: input, url: image.image_url, kind: 'image', label: `images[${i}].image_url` });
      }
      const frames = Math.max(1, Math.round(image.duracao * fps));
      const clip = buildClip({ zoomType: zoomTypes[i], frames, fps, width, height });
      let graph = clip.graph;
      if (clip.commands !== null) {
        plan.files.push({ name: `motion-${i}.cmd`, content: clip.commands });
        graph = graph.replace('{cmd}', `{file:motion-${i}.cmd}`);
      }
      plan.steps.push({
        id: `clip-${i}`,
        // one filter thread: the encoder already fills the cores, and per-frame swscale re-inits with
        // slice threads cost more CPU than they save (measured in bench/img2vid.ts)
        argv: ['-filter_complex_threads', '1', '-i', `{in:${input}}`, '-filter_complex', graph, '-map', '[v]', '-frames:v', String(frames), '{venc}', ...MP4_OUT, `{out:video-${i}}`],
        dependsOn: [],
        durationSeconds: frames / fps,
        weight: frames,
      });
      plan.outputs.push(await planOutput(env, `video-${i}`, joinKey(request.path, filenames[i]), 'video/mp4'));
      clips.push({ filename: filenames[i], zoomType: zoomTypes[i], duration: round3(frames / fps) });
    }
    return { plan, meta: { clips } };
  },

  shape(request, meta, outputs, processor) {
    const clips = meta.clips as ClipMeta[];
    const videos = request.images.map((image, i) => {
      const stored: StoredObject = outputs[`video-${i}`];
      return {
        id: image.id,
        video_url: stored.url,
        url: stored.url,
        filename: clips[i].filename,
        s3_key: stored.key,
        zoom_type: clips[i].zoomType,
        duration: clips[i].duration,
        size_mb: Math.round((stored.bytes / (1024 * 1024)) * 100) / 100,
      };
    });
    if (processor === 'VPS') return { videos, pathRaiz: pathRaiz(request.path) };
    return { success: true, message: 'Images converted to videos successfully', total: videos.length, processed: videos.length, videos, pathRaiz: pathRaiz(request.path) };
  },
};

/** "1920x1080" → even sides (yuv420p) within a sane range */
function parseResolution(value: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/.exec(value);
  const [width, height] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  const ok = (side: number) => Number.isInteger(side) && side % 2 === 0 && side >= MIN_SIDE && side <= MAX_SIDE;
  if (!ok(width) || !ok(height)) throw badInput(`resolution: must be WIDTHxHEIGHT with even sides from ${MIN_SIDE} to ${MAX_SIDE} (got "${value}")`);
  return { width, height };
}

/** "<id>_video.mp4" with the id made safe for a storage key; repeated ids get their position appended. */
function uniqueFilenames(ids: string[]): string[] {
  const used = new Set<string>();
  return ids.map((id, i) => {
    const safe = id.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 100) || `image${i + 1}`;
    let name = `${safe}_video.mp4`;
    if (used.has(name)) name = `${safe}-${i + 1}_video.mp4`;
    used.add(name);
    return name;
  });
}
