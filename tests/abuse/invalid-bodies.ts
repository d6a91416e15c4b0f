/**
 * A seeded generator of invalid request bodies for the abuse suite: from one valid body per route it
 * derives wrong types, missing fields, arrays past their maximum, strings past their limit, unicode
 * edge cases, deep nesting, prototype-pollution keys, malformed JSON and multi-MB bodies. Same seed,
 * same bodies: a failure names the case that reproduces it.
 */
import type { z } from 'zod';
import { seededRandom } from '../../common/random';

export interface RouteSpec {
  url: string;
  schema: z.ZodType;
  /** a body the schema accepts; every case is derived from it */
  valid: Record<string, unknown>;
  /** array fields (dotted path) and their schema maximum */
  arrays: Record<string, number>;
  /** string fields (dotted path) and their length limit */
  strings: Record<string, number>;
}

export type CaseKind =
  | 'missing-field'
  | 'wrong-type'
  | 'huge-array'
  | 'huge-string'
  | 'unicode'
  | 'deep-nesting'
  | 'proto-key'
  | 'malformed-json'
  | 'not-an-object'
  | 'wrong-content-type'
  | 'multi-mb';

export interface InvalidCase {
  route: string;
  kind: CaseKind;
  what: string;
  /** raw request body */
  body: string;
  contentType: string;
  /** the parsed body, when it is JSON the schema sees (so the generator can prove it invalid) */
  parsed?: unknown;
  /** the exact status expected, where one is certain; otherwise any 4xx */
  status?: number;
}

/** Unicode values no strict field (URL, path, file name, enum, colour, code) may accept. */
export const UNICODE_EDGES: Record<string, string> = {
  'lone high surrogate': 'a\uD800b',
  'lone low surrogate': 'a\uDC00b',
  'right-to-left override': 'clip\u202Egnp.mp4',
  'right-to-left isolate': 'x\u2067y\u2069',
  NUL: 'a\u0000b',
  'emoji with a ".." segment': '🎬/../🎬',
  'emoji with a backslash': '🎬\\🎬',
  'unit separator': 'a\u001Fb',
  DEL: 'a\u007Fb',
};

const WRONG_TYPES: [string, unknown][] = [
  ['number', 12345],
  ['negative float', -1.5],
  ['boolean', true],
  ['null', null],
  ['array', ['x']],
  ['object', { a: 1 }],
  ['non-numeric string', 'twelve'],
  ['empty string', ''],
  ['empty array', []],
  ['huge number', 1e308],
];

type Mutator = (rand: () => number, spec: RouteSpec) => Omit<InvalidCase, 'route'> | null;

const pick = <T>(rand: () => number, list: readonly T[]): T => list[Math.floor(rand() * list.length)];
const clone = (v: Record<string, unknown>) => structuredClone(v) as Record<string, unknown>;
const json = (kind: CaseKind, what: string, parsed: unknown): Omit<InvalidCase, 'route'> => ({ kind, what, body: JSON.stringify(parsed), contentType: 'application/json', parsed });

/** Every dotted path of a value's leaves and containers ("images.0.duracao"). */
function paths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object') return prefix ? [prefix] : [];
  const out = prefix ? [prefix] : [];
  for (const [k, v] of Object.entries(value)) out.push(...paths(v, prefix ? `${prefix}.${k}` : k));
  return out;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown, remove = false): void {
  const keys = path.split('.');
  let cur = obj as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (remove) {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  } else cur[last] = value;
}

function getPath(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((cur, k) => (cur as Record<string, unknown>)?.[k], obj);
}

function randomText(rand: () => number, length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-_/éçãü漢字🎬';
  const chars = [...alphabet];
  let out = '';
  while (out.length < length) out += chars[Math.floor(rand() * chars.length)];
  return out;
}

/** `depth` alternating objects and arrays around a leaf: {"a":[{"a":[…]}]} */
function nested(depth: number, leaf: string): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += i % 2 ? '[' : '{"a":';
    close = (i % 2 ? ']' : '}') + close;
  }
  return `${open}${leaf}${close}`;
}

const MUTATORS: [CaseKind, number, Mutator][] = [
  [
    'missing-field',
    3,
    (rand, spec) => {
      const path = pick(rand, paths(spec.valid));
      const body = clone(spec.valid);
      setPath(body, path, undefined, true);
      return json('missing-field', `without ${path}`, body);
    },
  ],
  [
    'wrong-type',
    4,
    (rand, spec) => {
      const path = pick(rand, paths(spec.valid));
      const [typeName, value] = pick(rand, WRONG_TYPES);
      const body = clone(spec.valid);
      setPath(body, path, structuredClone(value));
      return json('wrong-type', `${path} as ${typeName}`, body);
    },
  ],
  [
    'huge-array',
    1,
    (rand, spec) => {
      const fields = Object.keys(spec.arrays);
      if (fields.length === 0) return null;
      const path = pick(rand, fields);
      const items = getPath(spec.valid, path) as unknown[];
      const length = spec.arrays[path] + 1 + Math.floor(rand() * 50);
      const body = clone(spec.valid);
      setPath(body, path, Array.from({ length }, (_, i) => structuredClone(items[i % items.length])));
      return json('huge-array', `${path} with ${length} items (max ${spec.arrays[path]})`, body);
    },
  ],
  [
    'huge-string',
    2,
    (rand, spec) => {
      const fields = Object.keys(spec.strings);
      const path = pick(rand, fields);
      const length = spec.strings[path] + 1 + Math.floor(rand() * 20_000);
      const original = String(getPath(spec.valid, path));
      const body = clone(spec.valid);
      // keep the field's own shape (an URL stays an URL) and only make it too long
      setPath(body, path, `${original}${randomText(rand, length)}`.slice(0, Math.max(length, original.length + 1)));
      return json('huge-string', `${path} of ${length} chars (limit ${spec.strings[path]})`, body);
    },
  ],
  [
    'unicode',
    3,
    (rand, spec) => {
      const path = pick(rand, Object.keys(spec.strings));
      const [name, edge] = pick(rand, Object.entries(UNICODE_EDGES));
      const original = String(getPath(spec.valid, path));
      const body = clone(spec.valid);
      const at = Math.floor(rand() * (original.length + 1));
      setPath(body, path, `${original.slice(0, at)}${edge}${original.slice(at)}`);
      return json('unicode', `${name} in ${path}`, body);
    },
  ],
  [
    'deep-nesting',
    1,
    (rand, spec) => {
      const depth = pick(rand, [100, 1000, 10_000, 50_000]);
      const field = pick(rand, Object.keys(spec.valid));
      const rest = JSON.stringify({ ...spec.valid, [field]: 0 }).replace(`"${field}":0`, `"${field}":${nested(depth, '1')}`);
      return { kind: 'deep-nesting', what: `${field} nested ${depth} deep`, body: rest, contentType: 'application/json', status: 400 };
    },
  ],
  [
    'proto-key',
    1,
    (rand, spec) => {
      const variants = [
        ['__proto__ at the top', (b: string) => b.replace(/^\{/, '{"__proto__":{"polluted":"yes"},')],
        ['constructor.prototype at the top', (b: string) => b.replace(/^\{/, '{"constructor":{"prototype":{"polluted":"yes"}},')],
        ['__proto__ nested', (b: string) => b.replace(/\}$/, ',"extra":{"__proto__":{"polluted":"yes"}}}')],
        ['constructor.prototype nested', (b: string) => b.replace(/\}$/, ',"extra":[{"constructor":{"prototype":{"polluted":"yes"}}}]}')],
      ] as const;
      const [what, inject] = pick(rand, variants);
      return { kind: 'proto-key', what, body: inject(JSON.stringify(spec.valid)), contentType: 'application/json', status: 400 };
    },
  ],
  [
    'malformed-json',
    1,
    (rand, spec) => {
      const full = JSON.stringify(spec.valid);
      const variants: [string, string][] = [
        ['truncated', full.slice(0, Math.floor(rand() * (full.length - 1)))],
        ['trailing garbage', `${full}}`],
        ['single quotes', full.replace(/"/g, "'")],
        ['NaN literal', full.replace(/^\{/, '{"x":NaN,')],
        ['trailing comma', full.replace(/\}$/, ',}')],
        ['empty body', ''],
        ['whitespace only', '   \n'],
      ];
      const [what, body] = pick(rand, variants);
      return { kind: 'malformed-json', what, body, contentType: 'application/json', status: 400 };
    },
  ],
  [
    'not-an-object',
    1,
    (rand) => {
      const [what, parsed] = pick(rand, [['array', [1, 2]], ['number', 42], ['string', 'hello'], ['null', null], ['true', true]] as [string, unknown][]);
      return { ...json('not-an-object', `top-level ${what}`, parsed), status: 400 };
    },
  ],
  [
    'wrong-content-type',
    1,
    (rand, spec) => {
      const type = pick(rand, ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']);
      // Fastify parses text/plain into a string, which then fails validation (400); others have no parser
      return { kind: 'wrong-content-type', what: type, body: JSON.stringify(spec.valid), contentType: type, status: type === 'text/plain' ? 400 : 415 };
    },
  ],
];

const TOTAL_WEIGHT = MUTATORS.reduce((s, [, w]) => s + w, 0);

/** One JSON body larger than `limitBytes`: the API must answer 413 before parsing it. */
export function multiMegabyteCase(spec: RouteSpec, limitBytes: number): InvalidCase {
  const padding = 'x'.repeat(limitBytes + 512 * 1024);
  return { route: spec.url, kind: 'multi-mb', what: `${((limitBytes + 512 * 1024) / 1048576).toFixed(1)} MB body`, body: JSON.stringify({ ...spec.valid, padding }), contentType: 'application/json', status: 413 };
}

/**
 * `count` invalid cases spread over the routes of one family. Cases whose parsed body the route's own
 * schema would accept are drawn again, so every body is invalid by construction.
 */
export function generateInvalidBodies(specs: RouteSpec[], count: number, seed: number): InvalidCase[] {
  const rand = seededRandom(seed);
  const out: InvalidCase[] = [];
  while (out.length < count) {
    const spec = specs[out.length % specs.length];
    let r = rand() * TOTAL_WEIGHT;
    const [, , mutate] = MUTATORS.find(([, w]) => (r -= w) < 0) ?? MUTATORS[0];
    const c = mutate(rand, spec);
    if (!c) continue;
    if (c.parsed !== undefined && spec.schema.safeParse(c.parsed).success) continue;
    out.push({ route: spec.url, ...c });
  }
  return out;
}
