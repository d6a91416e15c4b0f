/**
 * Time formatting for subtitle files. Every timestamp is rounded from its own source value (never from
 * a sum of rounded durations), so long files do not drift.
 */

/** Nearest whole multiple of 1/unitsPerSecond; toFixed first so 1.005 s is 100.5 cs, not 100.4999. */
export function toUnits(seconds: number, unitsPerSecond: number): number {
  return Math.max(0, Math.round(Number((seconds * unitsPerSecond).toFixed(6))));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** SRT "HH:MM:SS,mmm" (sep ",") or WebVTT "HH:MM:SS.mmm" (sep "."). */
export function clockMs(seconds: number, sep: ',' | '.'): string {
  const ms = toUnits(seconds, 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${sep}${pad(ms % 1000, 3)}`;
}

/** ASS "H:MM:SS.cc" from a count of centiseconds. */
export function assClock(centiseconds: number): string {
  const cs = Math.max(0, centiseconds);
  const h = Math.floor(cs / 360_000);
  const m = Math.floor(cs / 6000) % 60;
  const s = Math.floor(cs / 100) % 60;
  return `${h}:${pad(m, 2)}:${pad(s, 2)}.${pad(cs % 100, 2)}`;
}
