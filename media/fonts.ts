/**
 * Caption fonts, looked up with fontconfig (the library libass renders with). A requested name is
 * accepted when it is an installed family, or a name fontconfig maps to a specific font (Arial →
 * Liberation Sans); anything else would silently render in the fallback font, so it is refused with
 * the list of families that are installed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { badInput } from '../common/errors';

const run = promisify(execFile);

/** The contract's default font names; always accepted (rendered with their closest installed match). */
const CONTRACT_DEFAULTS = new Set(['arial', 'arial black']);

/** A name no font has: what fontconfig answers for it is the fallback font. */
const NO_SUCH_FONT = 'autodark-no-such-font-7f3a';

async function fcMatchFamily(pattern: string): Promise<string> {
  const { stdout } = await run('fc-match', ['--format=%{family[0]}', pattern], { timeout: 10_000 });
  return stdout.trim();
}

let familiesCache: Promise<string[]> | undefined;

/** Installed font families (every name fontconfig knows each by), sorted. Cached per process. */
export function installedFontFamilies(): Promise<string[]> {
  familiesCache ??= run('fc-list', ['--format=%{family}\n'], { timeout: 10_000, maxBuffer: 16 * 1024 * 1024 })
    .then(({ stdout }) => {
      const names = new Set<string>();
      for (const line of stdout.split('\n')) for (const name of line.split(',')) if (name.trim()) names.add(name.trim().replace(/\\-/g, '-'));
      return [...names].sort((a, b) => a.localeCompare(b));
    })
    .catch((err: unknown) => {
      familiesCache = undefined;
      throw err;
    });
  return familiesCache;
}

/** The family captions fall back to when no font is asked for. */
export function defaultFontFamily(): Promise<string> {
  return fcMatchFamily('sans-serif');
}

/** The list shown in "unknown font" errors: primary family names, trimmed to a readable length. */
function fontList(families: string[], maxChars = 2000): string {
  let out = '';
  for (const [i, name] of families.entries()) {
    const next = out ? `${out}, ${name}` : name;
    if (next.length > maxChars) return `${out}, … (${families.length - i} more)`;
    out = next;
  }
  return out;
}

/**
 * The family name to write into the ASS file for a requested font. `field` names the request field in
 * the error (e.g. "style.font.name").
 */
export async function resolveFont(requested: string, field: string): Promise<string> {
  const name = requested.trim();
  const families = await installedFontFamilies();
  const exact = families.find((f) => f.toLowerCase() === name.toLowerCase());
  if (exact) return exact;
  // only letters, digits, spaces and - _ . reach fontconfig: its pattern syntax (":", "=", ",") stays out
  if (/^[\p{L}\p{N} _.-]{1,100}$/u.test(name)) {
    const [matched, fallback] = await Promise.all([fcMatchFamily(name), fcMatchFamily(NO_SUCH_FONT)]);
    if (matched && matched !== fallback) return matched; // an alias such as Arial → Liberation Sans
    if (CONTRACT_DEFAULTS.has(name.toLowerCase())) return matched || fallback;
  }
  throw badInput(`${field}: font "${requested}" is not installed. Available fonts: ${fontList(families)}`);
}
