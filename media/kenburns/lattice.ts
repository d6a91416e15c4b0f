/**
 * Sub-pixel Ken Burns motion from whole-pixel FFmpeg operations.
 *
 * One axis of a frame is drawn as: crop the base image to [c, c+S) → scale S px to T px (swscale) →
 * crop [d, d+out) of the result. Output pixel x then samples base coordinate
 *     u(x) = c + (x + d + 0.5)·s − 0.5,   s = xInc/65536, xInc = round(65536·S/T)  (swscale's step)
 * Every knob is an integer, yet s = S/T is a ratio of two integers in the hundreds-to-thousands, so it
 * can be made to match the wanted zoom to ~1e-6, and the anchor of the zoom (centre, left or right
 * edge) is kept exactly by choosing c and d from S and T. That is what makes the motion smooth: the
 * seed's zoompan rounds the window itself to whole pixels, so its edges step back and forth.
 * Typical frames are within 0.01 px of the ideal path; the worst, where the wanted scale nears a
 * simple fraction and few even-sized pairs fit, ~0.1 px.
 *
 * Everything is yuv420p, so crops and sizes are even (chroma stays aligned with luma).
 */

export interface AxisGeometry {
  /** output size on this axis (px, even) */
  out: number;
  /** the cover region (the image scaled to cover the frame, times the base factor), px, even */
  cover: number;
  /** smear padding on each side of the cover region, px (multiple of 4) */
  pad: number;
  /** largest scaled size is out + margin */
  margin: number;
}

export interface AxisPlacement {
  /** source crop size S and offset c (base px) */
  crop: number;
  cropOffset: number;
  /** scaled size T */
  scaled: number;
  /** output crop offset d in the scaled image */
  viewOffset: number;
  /** worst deviation from the ideal mapping across the axis, output px */
  error: number;
}

export class NoPlacementError extends Error {}

/** Where the zoom stays put: the start (left/top) edge, the centre, or the end edge of the frame. */
export type Anchor = 0 | 0.5 | 1;

function baseSize(g: AxisGeometry): number {
  return g.cover + 2 * g.pad;
}

/** swscale's fixed-point step for S → T, as a scale factor (libswscale/utils.c: lumXInc). */
function swscaleStep(src: number, dst: number): number {
  return Math.floor((src * 65536 + Math.floor(dst / 2)) / dst) / 65536;
}

/** Worst |u(x) − u*(x)| over the axis, in output px, for the ideal u*(x) = pad + offset + (x + ½)·ideal − ½. */
function mappingError(g: AxisGeometry, crop: number, cropOffset: number, scaled: number, viewOffset: number, ideal: number, offset: number): number {
  const s = swscaleStep(crop, scaled);
  const at = (x: number) => cropOffset + (x + viewOffset + 0.5) * s - (g.pad + offset + (x + 0.5) * ideal);
  return Math.max(Math.abs(at(0)), Math.abs(at(g.out - 1))) / ideal;
}

/**
 * Placement for a zoom anchored at `anchor` for one frame. `scaledFor(S)` must return the scaled size T
 * exactly as FFmpeg will compute it from S (the recipe's scale expression), so only S is searched.
 * ideal = cover/(out·zoom): base px per output px.
 */
export function anchoredPlacement(g: AxisGeometry, zoom: number, anchor: Anchor, scaledFor: (crop: number) => number | null): AxisPlacement {
  const ideal = g.cover / (g.out * zoom);
  const base = baseSize(g);
  let best: AxisPlacement | null = null;
  const lo = Math.max(2, 2 * Math.floor((ideal * g.out - 4) / 2));
  const hi = Math.min(base, Math.ceil(ideal * (g.out + g.margin)) + 4);
  for (let crop = lo; crop <= hi; crop += 2) {
    const scaled = scaledFor(crop);
    if (scaled === null || scaled < g.out || scaled > g.out + g.margin || scaled % 2) continue;
    // keep the anchor point fixed: the same fraction of the crop and of the scaled image
    const cropOffset = g.pad + anchor * (g.cover - crop);
    const viewOffset = anchor * (scaled - g.out);
    if (!isEven(cropOffset) || !isEven(viewOffset) || cropOffset < 0 || cropOffset + crop > base) continue;
    const error = mappingError(g, crop, cropOffset, scaled, viewOffset, ideal, anchor * (g.cover - g.out * ideal));
    if (!best || better(error, scaled, best)) best = { crop, cropOffset, scaled, viewOffset, error };
  }
  if (!best) throw new NoPlacementError(`no crop/scale placement for zoom ${zoom} on a ${g.out}px axis`);
  return best;
}

/** Errors below this are as good as exact; among such placements the smaller scaled image is cheaper. */
const GOOD_ENOUGH_PX = 0.01;

function better(error: number, scaled: number, than: AxisPlacement): boolean {
  const a = Math.max(error, GOOD_ENOUGH_PX);
  const b = Math.max(than.error, GOOD_ENOUGH_PX);
  return a < b || (a === b && scaled < than.scaled);
}

/** T = round(S·k) as FFmpeg's round() would give it, or null on a near-tie that floating point might flip. */
export function roundedScale(crop: number, factor: number): number | null {
  const q = crop * factor;
  const frac = q - Math.floor(q);
  if (Math.abs(frac - 0.5) < 1e-7) return null;
  return Math.round(q);
}

/**
 * A fixed crop size and scaled size for a pan at (about) `zoom`, chosen so that the offsets reachable
 * with even c and d (c + (d + ½)·s) lie finely spaced along `offsets` (window starts, cover px). A
 * scale that is a simple fraction (7/6, say) reaches only coarse offsets, so the pair is searched; the
 * pan then runs at that pair's exact scale, a zoom within ~0.01 % of the asked one.
 */
export function panScale(g: AxisGeometry, zoom: number, offsets: number[]): { crop: number; scaled: number } {
  const ideal = g.cover / (g.out * zoom);
  const probe = offsets.length > 32 ? offsets.filter((_, i) => i % Math.ceil(offsets.length / 32) === 0) : offsets;
  let best: { crop: number; scaled: number; error: number } | null = null;
  for (let scaled = g.out + 2 * Math.floor(g.margin / 4); scaled <= g.out + g.margin; scaled += 2) {
    const crop = 2 * Math.round((ideal * scaled) / 2);
    let worst = 0;
    for (const offset of probe) {
      worst = Math.max(worst, pannedPlacement(g, offset, crop, scaled).error);
      if (best && worst >= best.error) break;
    }
    if (!best || worst < best.error) best = { crop, scaled, error: worst };
  }
  return { crop: best!.crop, scaled: best!.scaled };
}

/**
 * Placement of a window starting at `offset` (cover px) with a fixed crop/scaled size: search d,
 * derive c. The error is measured against the pair's own scale: only the offset can stray.
 */
export function pannedPlacement(g: AxisGeometry, offset: number, crop: number, scaled: number): AxisPlacement {
  const s = swscaleStep(crop, scaled);
  const base = baseSize(g);
  let best: AxisPlacement | null = null;
  for (let viewOffset = 0; viewOffset <= scaled - g.out; viewOffset += 2) {
    const exact = g.pad + offset + 0.5 * s - (viewOffset + 0.5) * s;
    const cropOffset = Math.min(base - crop, Math.max(0, 2 * Math.round(exact / 2)));
    const error = mappingError(g, crop, cropOffset, scaled, viewOffset, s, offset);
    if (!best || error < best.error) best = { crop, cropOffset, scaled, viewOffset, error };
  }
  return best!;
}

function isEven(n: number): boolean {
  return Number.isInteger(n) && n % 2 === 0;
}
