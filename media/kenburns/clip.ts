/**
 * One Ken Burns clip as an FFmpeg filtergraph plus a sendcmd script (see lattice.ts for the method).
 *
 * The image is decoded once, scaled to cover the frame times a base factor (1.4–1.55: the per-frame
 * step then downscales, which keeps detail and gives the lattice enough candidates), padded with
 * smeared edges, and looped; per frame only a crop → swscale → crop runs. The scale step's size comes
 * from an expression of the frame number (one reconfiguration per frame); the crop sizes and offsets
 * that must change come from the sendcmd script, one line per frame.
 *
 * The per-frame resize is bilinear: it only ever shrinks, by 1.08–1.55×, where swscale widens the
 * bilinear kernel with the ratio (no aliasing), and it costs about 30% less than bicubic, which is most
 * of what the motion adds on top of encoding. Where the sample lands does not depend on the kernel, so
 * the motion accuracy is the same.
 */
/** per-frame resize kernel (see above) */
const FRAME_SCALER = 'bilinear';
import type { Img2VidRequest } from '../../api/schemas/media';
import { anchoredPlacement, NoPlacementError, panScale, pannedPlacement, roundedScale, type Anchor, type AxisGeometry, type AxisPlacement } from './lattice';

export type ZoomType = Img2VidRequest['zoom_types'][number];

/** how far zooms go, and the fixed zoom a pan travels at (its margin is the pan distance) */
export const ZOOM_END = 1.3;
export const PAN_ZOOM = 1.2;
/**
 * Base factors tried per clip; the one whose worst frame is most accurate wins (the smaller, cheaper
 * one unless a larger is better by 0.02 px). They stay clear of ZOOM_END so the per-frame scale never
 * nears 1:1, where even-sized crops cannot keep the zoom centred.
 */
const BASE_FACTORS = [1.4, 1.45, 1.5, 1.55];
/** long clips: one base factor is enough, the search is per frame */
const LONG_CLIP_FRAMES = 2400;

export interface ClipSpec {
  zoomType: ZoomType;
  frames: number;
  fps: number;
  width: number;
  height: number;
}

export interface ClipRecipe {
  /** filtergraph from input 0 to the label [v]; {cmd} stands for the sendcmd script's path */
  graph: string;
  /** sendcmd script, or null when nothing moves */
  commands: string | null;
  /** worst deviation of any frame from the ideal motion, output px (for tests and the bench) */
  maxError: number;
}

type Motion =
  | { kind: 'zoom'; from: number; to: number; anchorX: Anchor; anchorY: Anchor }
  | { kind: 'pan'; zoom: number; downwards: boolean }
  | { kind: 'static' };

function motionOf(type: ZoomType): Motion {
  switch (type) {
    case 'zoomin':
      return { kind: 'zoom', from: 1, to: ZOOM_END, anchorX: 0.5, anchorY: 0.5 };
    case 'zoomout':
      return { kind: 'zoom', from: ZOOM_END, to: 1, anchorX: 0.5, anchorY: 0.5 };
    // zooming in towards an edge reads as a zoom with a pan that way
    case 'zoompanright':
      return { kind: 'zoom', from: 1, to: ZOOM_END, anchorX: 1, anchorY: 0.5 };
    case 'zoompanleft':
      return { kind: 'zoom', from: 1, to: ZOOM_END, anchorX: 0, anchorY: 0.5 };
    // panup: the view travels from the bottom of the picture to the top
    case 'panup':
      return { kind: 'pan', zoom: PAN_ZOOM, downwards: false };
    case 'pandown':
      return { kind: 'pan', zoom: PAN_ZOOM, downwards: true };
    case 'static':
      return { kind: 'static' };
  }
}

export function buildClip(spec: ClipSpec): ClipRecipe {
  const motion = motionOf(spec.zoomType);
  if (motion.kind === 'static') return staticClip(spec);
  // a pan's fixed scale is chosen for fine offsets whatever the base, so one base factor does
  const factors = spec.frames > LONG_CLIP_FRAMES || motion.kind === 'pan' ? [BASE_FACTORS[0]] : BASE_FACTORS;
  let best: ClipRecipe | null = null;
  for (const factor of factors) {
    let recipe: ClipRecipe;
    try {
      recipe = motion.kind === 'zoom' ? zoomClip(spec, motion, factor) : panClip(spec, motion, factor);
    } catch (err) {
      if (err instanceof NoPlacementError) continue; // this factor hits a 1:1-like ratio somewhere: try the next
      throw err;
    }
    if (!best || recipe.maxError < best.maxError - 0.02) best = recipe;
  }
  if (!best) throw new Error(`no Ken Burns placement for ${spec.width}x${spec.height}, ${spec.frames} frames (${spec.zoomType})`);
  return best;
}

// ---------------------------------------------------------------------------------------------------

interface Base {
  x: AxisGeometry;
  y: AxisGeometry;
}

function baseFor(spec: ClipSpec, factor: number): Base {
  const axis = (out: number): AxisGeometry => {
    // margin: how much larger than the output the scaled image may be (more candidates, more work)
    const margin = Math.max(64, Math.min(400, 4 * Math.round(out / 10)));
    const cover = 4 * Math.round((out * factor) / 4);
    return { out, cover, margin, pad: 4 * Math.ceil((factor * margin + 8) / 4) };
  };
  return { x: axis(spec.width), y: axis(spec.height) };
}

/** decode once → cover-scale to the base → pad with smeared edges → loop as `frames` frames at `fps` */
function basePrelude(spec: ClipSpec, base: Base): string {
  const { x, y } = base;
  return [
    'trim=end_frame=1',
    ...coverTo(x.cover, y.cover),
    `pad=${x.cover + 2 * x.pad}:${y.cover + 2 * y.pad}:${x.pad}:${y.pad}`,
    `fillborders=left=${x.pad}:right=${x.pad}:top=${y.pad}:bottom=${y.pad}:mode=smear`,
    ...loopFrames(spec),
  ].join(',');
}

/**
 * Cover w×h: crop the middle of the picture to the frame's aspect, then scale it, ending in BT.709
 * yuv420p. Cropping first scales no more pixels than are kept. The detour through RGB is what
 * converts the colours: swscale only rescales YUV→YUV, so a BT.601 JPEG would stay BT.601 in a file
 * tagged (and played as) BT.709.
 */
function coverTo(w: number, h: number): string[] {
  const aspect = w / h;
  return [`crop=w='min(iw,ih*${aspect})':h='min(ih,iw/${aspect})'`, 'format=gbrp', `scale=${w}:${h}:flags=lanczos:out_color_matrix=bt709:out_range=tv`, 'format=yuv420p'];
}

function loopFrames(spec: ClipSpec): string[] {
  return [`loop=loop=${spec.frames - 1}:size=1`, `settb=1/${spec.fps}`, 'setpts=N', `fps=${spec.fps}`];
}

const TAIL = 'setsar=1,setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709';

function staticClip(spec: ClipSpec): ClipRecipe {
  const graph = [
    `[0:v]trim=end_frame=1`,
    ...coverTo(spec.width, spec.height),
    ...loopFrames(spec),
    `${TAIL}[v]`,
  ].join(',');
  return { graph, commands: null, maxError: 0 };
}

/** zoom z(n) = from + (to − from)·n/(frames − 1), written once for FFmpeg and evaluated identically here */
function zoomCurve(from: number, to: number, frames: number) {
  const last = Math.max(1, frames - 1);
  const step = Math.abs(to - from);
  const sign = to >= from ? '+' : '-';
  // same operations in the same order as FFmpeg's evaluator, so both round to the same sizes
  const at = (n: number) => (to >= from ? from + (step * n) / last : from - (step * n) / last);
  return {
    at,
    times: (n: number, k: number) => at(n) * k,
    /** FFmpeg expression of `z(n)·k` with n the scale filter's frame number */
    expr: (k: number) => `((${from}${sign}${step}*n/${last})*${k})`,
  };
}

function zoomClip(spec: ClipSpec, motion: Extract<Motion, { kind: 'zoom' }>, factor: number): ClipRecipe {
  const base = baseFor(spec, factor);
  const curve = zoomCurve(motion.from, motion.to, spec.frames);
  const kx = spec.width / base.x.cover;
  const ky = spec.height / base.y.cover;
  const frames: { x: AxisPlacement; y: AxisPlacement }[] = [];
  for (let n = 0; n < spec.frames; n++) {
    const zoom = curve.at(n);
    frames.push({
      x: anchoredPlacement(base.x, zoom, motion.anchorX, (crop) => roundedScale(crop, curve.times(n, kx))),
      y: anchoredPlacement(base.y, zoom, motion.anchorY, (crop) => roundedScale(crop, curve.times(n, ky))),
    });
  }
  const first = frames[0];
  const graph = [
    `[0:v]${basePrelude(spec, base)}`,
    'sendcmd=f={cmd}',
    `crop@src=w=${first.x.crop}:h=${first.y.crop}:x=${anchorExpr('w', base.x, motion.anchorX)}:y=${anchorExpr('h', base.y, motion.anchorY)}`,
    `scale@zoom=w=round(iw*${curve.expr(kx)}):h=round(ih*${curve.expr(ky)}):eval=frame:flags=${FRAME_SCALER}`,
    `crop@view=w=${spec.width}:h=${spec.height}:x=${first.x.viewOffset}:y=${first.y.viewOffset}`,
    `${TAIL}[v]`,
  ].join(',');
  const commands = script(spec.fps, frames, (p) => [
    ['crop@src', 'w', p.x.crop],
    ['crop@src', 'h', p.y.crop],
    ['crop@view', 'x', p.x.viewOffset],
    ['crop@view', 'y', p.y.viewOffset],
  ]);
  return { graph, commands, maxError: frames.reduce((m, f) => Math.max(m, f.x.error, f.y.error), 0) };
}

/** crop@src's offset as an expression of its new size, so only the size needs a command */
function anchorExpr(dim: 'w' | 'h', g: AxisGeometry, anchor: Anchor): string {
  if (anchor === 0) return String(g.pad);
  if (anchor === 1) return `in_${dim}-out_${dim}-${g.pad}`;
  return `(in_${dim}-out_${dim})/2`;
}

/** A vertical pan at a fixed zoom: one static scale; the crops' y offsets walk the lattice. */
function panClip(spec: ClipSpec, motion: Extract<Motion, { kind: 'pan' }>, factor: number): ClipRecipe {
  const base = baseFor(spec, factor);
  const travel = base.y.cover * (1 - 1 / motion.zoom);
  const last = Math.max(1, spec.frames - 1);
  const offsets = Array.from({ length: spec.frames }, (_, n) => (motion.downwards ? (travel * n) / last : travel - (travel * n) / last));
  const { crop, scaled } = panScale(base.y, motion.zoom, offsets);
  const path = offsets.map((o) => pannedPlacement(base.y, o, crop, scaled));
  // across, the view holds still and centred: one placement for every frame
  const x = anchoredPlacement(base.x, motion.zoom, 0.5, (c) => roundedScale(c, (base.x.out * motion.zoom) / base.x.cover));
  const first = path[0];
  const graph = [
    `[0:v]${basePrelude(spec, base)}`,
    'sendcmd=f={cmd}',
    `crop@src=w=${x.crop}:h=${first.crop}:x=${x.cropOffset}:y=${first.cropOffset}`,
    `scale@zoom=w=${x.scaled}:h=${first.scaled}:flags=${FRAME_SCALER}`,
    `crop@view=w=${spec.width}:h=${spec.height}:x=${x.viewOffset}:y=${first.viewOffset}`,
    `${TAIL}[v]`,
  ].join(',');
  const commands = script(spec.fps, path, (p) => [
    ['crop@src', 'y', p.cropOffset],
    ['crop@view', 'y', p.viewOffset],
  ]);
  // the still axis's error is one constant offset for the whole clip: no motion error
  return { graph, commands, maxError: path.reduce((m, p) => Math.max(m, p.error), 0) };
}

/**
 * sendcmd script: at frame n (entered at (n − ½)/fps, so rounding cannot move it to a neighbour) set
 * every value that changed since frame n − 1.
 */
function script<T>(fps: number, frames: T[], values: (frame: T) => [string, string, number][]): string {
  const lines: string[] = [];
  const current = new Map<string, number>();
  frames.forEach((frame, n) => {
    const changed = values(frame).filter(([target, option, value]) => current.get(`${target} ${option}`) !== value);
    if (!changed.length) return;
    for (const [target, option, value] of changed) current.set(`${target} ${option}`, value);
    const at = n === 0 ? '0' : ((n - 0.5) / fps).toFixed(6);
    lines.push(`${at} ${changed.map(([target, option, value]) => `${target} ${option} ${value}`).join(',')};`);
  });
  return lines.join('\n') + '\n';
}
