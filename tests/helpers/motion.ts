/**
 * Measures motion between decoded video frames, for Ken Burns tests and the img2vid bench.
 *
 * Each frame pair is compared on a grid of patches: an integer block-matching search finds each patch's
 * rough displacement, then Lucas–Kanade iterations refine it to ~0.01 px. The patch displacements are
 * fitted with a zoom-about-a-point model d(p) = a·p + b, giving per frame the scale change and the
 * translation. Jitter is how far the per-frame displacements stray from a smooth curve through them.
 */
import { spawn } from 'node:child_process';

export interface GrayVideo {
  width: number;
  height: number;
  frames: Uint8Array[];
}

/** Decodes a video (or part of it) to 8-bit gray frames, optionally scaled to `width` (keeps it small). */
export async function decodeGray(path: string, opts: { width?: number; maxFrames?: number } = {}): Promise<GrayVideo> {
  const probe = await runCapture('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', path]);
  const [srcW, srcH] = probe.toString().trim().split(',').map(Number);
  const width = opts.width ?? srcW;
  const height = opts.width ? Math.round((srcH * width) / srcW / 2) * 2 : srcH;
  const vf = opts.width ? ['-vf', `scale=${width}:${height}:flags=area`] : [];
  const frames = opts.maxFrames ? ['-frames:v', String(opts.maxFrames)] : [];
  const raw = await runCapture('ffmpeg', ['-v', 'error', '-i', path, ...vf, ...frames, '-f', 'rawvideo', '-pix_fmt', 'gray', '-']);
  const size = width * height;
  const out: Uint8Array[] = [];
  for (let off = 0; off + size <= raw.length; off += size) out.push(new Uint8Array(raw.buffer, raw.byteOffset + off, size));
  return { width, height, frames: out };
}

function runCapture(cmd: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${cmd} failed (${code}): ${err.slice(-500)}`))));
  });
}

export interface PatchMotion {
  /** patch centre in the first frame */
  x: number;
  y: number;
  /** where that content is in the second frame, relative to (x, y) */
  dx: number;
  dy: number;
}

/**
 * Displacement of the patch centred at (cx, cy) from frame a to frame b: integer search within
 * ±search px, then Lucas–Kanade refinement with bilinear sampling.
 */
export function patchShift(a: Uint8Array, b: Uint8Array, width: number, height: number, cx: number, cy: number, radius = 20, search = 8): { dx: number; dy: number } {
  const x0 = cx - radius;
  const y0 = cy - radius;
  const size = 2 * radius;
  // 1. integer search (sum of absolute differences)
  let best = Infinity;
  let bx = 0;
  let by = 0;
  for (let sy = -search; sy <= search; sy++) {
    for (let sx = -search; sx <= search; sx++) {
      if (x0 + sx < 1 || y0 + sy < 1 || x0 + sx + size >= width - 1 || y0 + sy + size >= height - 1) continue;
      let sad = 0;
      for (let y = 0; y < size && sad < best; y++) {
        const ra = (y0 + y) * width + x0;
        const rb = (y0 + y + sy) * width + x0 + sx;
        for (let x = 0; x < size; x++) sad += Math.abs(a[ra + x] - b[rb + x]);
      }
      if (sad < best) {
        best = sad;
        bx = sx;
        by = sy;
      }
    }
  }
  // 2. Lucas–Kanade on the template's gradients (inverse compositional: the Hessian is fixed)
  const n = size * size;
  const gx = new Float64Array(n);
  const gy = new Float64Array(n);
  const t = new Float64Array(n);
  let hxx = 0;
  let hxy = 0;
  let hyy = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y0 + y) * width + x0 + x;
      const k = y * size + x;
      t[k] = a[i];
      gx[k] = (a[i + 1] - a[i - 1]) / 2;
      gy[k] = (a[i + width] - a[i - width]) / 2;
      hxx += gx[k] * gx[k];
      hxy += gx[k] * gy[k];
      hyy += gy[k] * gy[k];
    }
  }
  const det = hxx * hyy - hxy * hxy;
  let dx = bx;
  let dy = by;
  if (det <= 1e-9) return { dx, dy };
  for (let iter = 0; iter < 30; iter++) {
    let ex = 0;
    let ey = 0;
    for (let y = 0; y < size; y++) {
      const sy = y0 + y + dy;
      const iy = Math.floor(sy);
      const fy = sy - iy;
      if (iy < 0 || iy + 1 >= height) return { dx, dy };
      for (let x = 0; x < size; x++) {
        const sx = x0 + x + dx;
        const ix = Math.floor(sx);
        const fx = sx - ix;
        if (ix < 0 || ix + 1 >= width) return { dx, dy };
        const p = iy * width + ix;
        const v = (b[p] * (1 - fx) + b[p + 1] * fx) * (1 - fy) + (b[p + width] * (1 - fx) + b[p + width + 1] * fx) * fy;
        const e = v - t[y * size + x];
        ex += gx[y * size + x] * e;
        ey += gy[y * size + x] * e;
      }
    }
    const ux = (hyy * ex - hxy * ey) / det;
    const uy = (hxx * ey - hxy * ex) / det;
    dx -= ux;
    dy -= uy;
    if (Math.abs(ux) < 1e-4 && Math.abs(uy) < 1e-4) break;
  }
  return { dx, dy };
}

/** Patch displacements on a cols×rows grid kept `margin` (fraction) away from the edges. */
export function gridMotion(a: Uint8Array, b: Uint8Array, width: number, height: number, opts: { cols?: number; rows?: number; margin?: number; radius?: number; search?: number } = {}): PatchMotion[] {
  const { cols = 3, rows = 3, margin = 0.15, radius = 20, search = 8 } = opts;
  const out: PatchMotion[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const x = Math.round(width * (margin + ((1 - 2 * margin) * c) / Math.max(1, cols - 1)));
      const y = Math.round(height * (margin + ((1 - 2 * margin) * r) / Math.max(1, rows - 1)));
      out.push({ x, y, ...patchShift(a, b, width, height, x, y, radius, search) });
    }
  }
  return out;
}

export interface FrameMotion {
  /** scale change from one frame to the next (1 = none, >1 = content grows) */
  scale: number;
  /** translation of the frame centre, px */
  tx: number;
  ty: number;
}

/** Least-squares fit of d = (scale-1)·(p - centre) + t to patch displacements. */
export function fitZoomPan(patches: PatchMotion[], width: number, height: number): FrameMotion {
  const cx = width / 2;
  const cy = height / 2;
  // unknowns: a = scale-1, tx, ty; rows: dx = a·(x-cx) + tx, dy = a·(y-cy) + ty
  let saa = 0;
  let sax = 0;
  let say = 0;
  let sdx = 0;
  let sdy = 0;
  let sad = 0;
  const n = patches.length;
  for (const p of patches) {
    const ux = p.x - cx;
    const uy = p.y - cy;
    saa += ux * ux + uy * uy;
    sax += ux;
    say += uy;
    sad += ux * p.dx + uy * p.dy;
    sdx += p.dx;
    sdy += p.dy;
  }
  // normal equations [[saa, sax, say],[sax, n, 0],[say, 0, n]] · [a, tx, ty] = [sad, sdx, sdy]
  const a = (sad - (sax * sdx) / n - (say * sdy) / n) / (saa - (sax * sax) / n - (say * say) / n);
  return { scale: 1 + a, tx: (sdx - a * sax) / n, ty: (sdy - a * say) / n };
}

/** Per-frame-pair motion of a whole clip. */
export function clipMotion(video: GrayVideo, opts: Parameters<typeof gridMotion>[4] = {}): { patches: PatchMotion[][]; frames: FrameMotion[] } {
  const patches: PatchMotion[][] = [];
  const frames: FrameMotion[] = [];
  for (let i = 0; i + 1 < video.frames.length; i++) {
    const p = gridMotion(video.frames[i], video.frames[i + 1], video.width, video.height, opts);
    patches.push(p);
    frames.push(fitZoomPan(p, video.width, video.height));
  }
  return { patches, frames };
}

/**
 * Jitter: every patch's per-frame displacement (x and y) is compared with a smooth cubic fitted
 * through it over time; the standard deviation of the differences, in px. Smooth motion scores ~0.01;
 * whole-pixel stepping (zoompan) scores ~0.3.
 */
export function jitterStd(patches: PatchMotion[][]): number {
  if (patches.length < 6) throw new Error('need at least 6 frame pairs to measure jitter');
  const residuals: number[] = [];
  for (let k = 0; k < patches[0].length; k++) {
    for (const axis of ['dx', 'dy'] as const) {
      const series = patches.map((p) => p[k][axis]);
      const fit = polyfit(series, 3);
      series.forEach((v, i) => residuals.push(v - fit(i)));
    }
  }
  const mean = residuals.reduce((s, v) => s + v, 0) / residuals.length;
  return Math.sqrt(residuals.reduce((s, v) => s + (v - mean) ** 2, 0) / residuals.length);
}

/**
 * Jitter of the whole-frame motion: the fitted zoom+pan model's displacement at the frame's corners,
 * compared with a smooth cubic over time. Averaging all patches through the model keeps encoder noise
 * out, so this is the figure to compare methods with (px at the frame's own size).
 */
export function frameJitterStd(frames: FrameMotion[], width: number, height: number): number {
  if (frames.length < 6) throw new Error('need at least 6 frame pairs to measure jitter');
  const residuals: number[] = [];
  const corners = [
    [0, 0],
    [width, 0],
    [0, height],
    [width, height],
  ];
  for (const [px, py] of corners) {
    const dx = frames.map((f) => (f.scale - 1) * (px - width / 2) + f.tx);
    const dy = frames.map((f) => (f.scale - 1) * (py - height / 2) + f.ty);
    for (const series of [dx, dy]) {
      const fit = polyfit(series, 3);
      series.forEach((v, i) => residuals.push(v - fit(i)));
    }
  }
  return Math.sqrt(residuals.reduce((s, v) => s + v * v, 0) / residuals.length);
}

/** Least-squares polynomial of `degree` through (i, ys[i]); returns the evaluator. */
export function polyfit(ys: number[], degree: number): (x: number) => number {
  const m = degree + 1;
  const n = ys.length;
  // scale x to [-1, 1] for a well-conditioned system
  const xs = ys.map((_, i) => (n === 1 ? 0 : (2 * i) / (n - 1) - 1));
  const ata = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  const aty = new Array<number>(m).fill(0);
  for (let i = 0; i < n; i++) {
    const pows = Array.from({ length: m }, (_, j) => xs[i] ** j);
    for (let r = 0; r < m; r++) {
      aty[r] += pows[r] * ys[i];
      for (let c = 0; c < m; c++) ata[r][c] += pows[r] * pows[c];
    }
  }
  const coef = solve(ata, aty);
  return (x: number) => {
    const u = n === 1 ? 0 : (2 * x) / (n - 1) - 1;
    return coef.reduce((s, c, j) => s + c * u ** j, 0);
  };
}

function solve(a: number[][], b: number[]): number[] {
  const m = b.length;
  const aug = a.map((row, i) => [...row, b[i]]);
  for (let col = 0; col < m; col++) {
    let pivot = col;
    for (let r = col + 1; r < m; r++) if (Math.abs(aug[r][col]) > Math.abs(aug[pivot][col])) pivot = r;
    [aug[col], aug[pivot]] = [aug[pivot], aug[col]];
    for (let r = 0; r < m; r++) {
      if (r === col) continue;
      const f = aug[r][col] / aug[col][col];
      for (let c = col; c <= m; c++) aug[r][c] -= f * aug[col][c];
    }
  }
  return aug.map((row, i) => row[m] / row[i]);
}
