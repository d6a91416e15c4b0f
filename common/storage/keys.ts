/**
 * Storage keys built from the client's `path` and `output_filename`. The seed trusted them blindly;
 * we refuse traversal, absolute paths, backslashes and control characters, and add the missing "/"
 * between path and file name (documented in the README).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export function keyProblem(value: string): string | null {
  if (CONTROL_CHARS.test(value)) return 'must not contain control characters';
  if (value.includes('\\')) return 'must not contain backslashes';
  if (value.startsWith('/')) return 'must be relative (no leading "/")';
  if (value.split('/').some((seg) => seg === '..' || seg === '.')) return 'must not contain "." or ".." segments';
  if (value.length > 900) return 'is too long (max 900 characters)';
  return null;
}

export function fileNameProblem(value: string): string | null {
  if (!value) return 'must not be empty';
  if (value.includes('/')) return 'must be a file name, not a path';
  return keyProblem(value);
}

export function joinKey(path: string, filename: string): string {
  const prefix = path.replace(/^\/+/, '');
  if (!prefix) return filename;
  return prefix.endsWith('/') ? `${prefix}${filename}` : `${prefix}/${filename}`;
}

/** The seed's pathRaiz: strip one trailing "/", cut at the last "/videos" (index > 0), add "/". */
export function pathRaiz(path: string): string {
  let p = path.endsWith('/') ? path.slice(0, -1) : path;
  const idx = p.lastIndexOf('/videos');
  if (idx > 0) p = p.slice(0, idx);
  return `${p}/`;
}
