// Helpers for the property-based hostile-input test (test/http/fuzz.test.ts): the routes of the app as
// Fastify itself lists them, joined with the OpenAPI document; fast-check arbitraries for hostile path
// segments, raw query strings, JSON bodies built from a route's body schema and then mutated, raw and
// multipart bodies, and headers; a fingerprint of every table to prove a refused request changed nothing.

import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import type { Database } from '../../src/storage/db.js';

// ---------------------------------------------------------------------------------------------------
// Routes

export interface OpenApiParameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: JsonSchema;
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
  additionalProperties?: boolean | JsonSchema;
}

export interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  security?: unknown[];
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

export interface RouteSpec {
  method: string;
  /** OpenAPI-style template: /api/v1/cases/{id}; Fastify's wildcard stays `*`. */
  path: string;
  /** Path parameter names in order ('*' for a wildcard). */
  params: string[];
  /** Query parameters the OpenAPI document names (empty for undocumented routes). */
  query: OpenApiParameter[];
  /** The application/json body schema, when the OpenAPI document has one. */
  body?: JsonSchema;
  documented: boolean;
  /** A HEAD route Fastify adds for a GET route (exposeHeadRoutes): same handler, no body. */
  autoHead: boolean;
}

export const routeKey = (r: { method: string; path: string }): string => `${r.method} ${r.path}`;

/**
 * Every (method, path) Fastify routes, parsed from `app.printRoutes({ commonPrefix: false })`: a tree whose
 * lines are `<indent>├── <segment> (<METHODS>)`, four characters of indent per level, each segment to be
 * appended to its parent's path. Parameters are turned into OpenAPI's `{name}`.
 */
export function parsePrintedRoutes(printed: string): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of printed.split('\n')) {
    const match = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    if (!Number.isInteger(depth)) throw new Error(`cannot read the route tree line ${JSON.stringify(line)}`);
    stack.length = depth;
    stack.push(match[2]!);
    const path = stack.join('').replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of match[3]?.split(',').map((m) => m.trim()) ?? []) out.push({ method, path });
  }
  return out;
}

/** The routes Fastify has, with what the OpenAPI document says of each. */
export function routeSpecs(printed: string, doc: OpenApiDocument): RouteSpec[] {
  const fastify = parsePrintedRoutes(printed);
  const keys = new Set(fastify.map(routeKey));
  return fastify.map(({ method, path }) => {
    const op = doc.paths[path]?.[method.toLowerCase()];
    const autoHead = method === 'HEAD' && keys.has(`GET ${path}`) && !op;
    const source = op ?? (autoHead ? doc.paths[path]?.get : undefined);
    const params = [...path.matchAll(/\{([^}]+)\}|\*/g)].map((m) => m[1] ?? '*');
    return {
      method,
      path,
      params,
      query: (source?.parameters ?? []).filter((p) => p.in === 'query'),
      ...(op?.requestBody?.content?.['application/json']?.schema ? { body: op.requestBody.content['application/json'].schema } : {}),
      documented: op !== undefined,
      autoHead,
    };
  });
}

/** OpenAPI operations as `METHOD /path`. */
export function documentedKeys(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
}

// ---------------------------------------------------------------------------------------------------
// JSON with tokens JSON.stringify cannot write (1e999, -0, NaN, deep nesting, __proto__ keys)

/** Text put into a JSON body verbatim. */
export class Raw {
  constructor(readonly text: string) {}
}

export function serialize(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(serialize).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${serialize(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A value for a query string or path: percent-encoded, lone surrogates as their (invalid) UTF-8 bytes. */
export function encodeLoose(text: string): string {
  let out = '';
  for (const part of text.split(/([\uD800-\uDFFF])/)) {
    if (part === '') continue;
    if (/^[\uD800-\uDFFF]$/.test(part)) {
      out += part.charCodeAt(0) < 0xdc00 ? '%ED%A0%80' : '%ED%B0%80';
      continue;
    }
    try {
      out += encodeURIComponent(part);
    } catch {
      out += '%EF%BF%BD';
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Hostile values

export const TIBETAN = 'བཀྲ་ཤིས་བདེ་ལེགས། ལམ་སྒྲོན་མི་འབར།';
export const EMOJI = '🚲💥👩🏽‍🚒🇨🇳🔦';

/** Text a person might type, and text no person types. */
export const TEXTS: string[] = [
  TIBETAN,
  'བཀྲ་ཤིས་',
  EMOJI,
  '井盖破了一个大洞',
  'combining é = e\u0301, ཀྵ སྐྱ ཧཱུྃ',
  'right-to-left \u202eevil\u202c zero-width \u200b\u200d\uFEFF',
  '<script>alert(1)</script>',
  "' OR '1'='1' --",
  '1; DROP TABLE cases; --',
  '../../etc/passwd',
  '%00',
  '%',
  '_',
  '*',
  '\\',
  '"',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '\udbff\udfff',
  '\u{10FFFF}',
  '\r\n\t',
  ' ',
  '',
  'null',
  'undefined',
  'true',
  'NaN',
  'Infinity',
  '-0',
  '1e308',
  '__proto__',
  'constructor',
];

const LONG_UNITS = ['x', 'ས', '🚲', '\u0000', '\ud800'];
const LONG_LENGTHS = [33, 36, 64, 65, 100, 101, 128, 129, 256, 257, 300, 301, 1000, 2000, 2001, 5000, 21_000, 40_000, 66_000, 100_000];

/** Strings at and past the limits (in UTF-16 units: 'ས' is three UTF-8 bytes, '🚲' two units and four bytes). */
export const longString = fc
  .tuple(fc.constantFrom(...LONG_LENGTHS), fc.constantFrom(...LONG_UNITS))
  .map(([n, unit]) => unit.repeat(Math.max(1, Math.floor(n / unit.length))));

/** Any UTF-16 code unit, lone surrogates included. */
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...TEXTS), weight: 6 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }), weight: 3 },
  { arbitrary: fc.string({ unit: anyUnit, maxLength: 12 }), weight: 2 },
  { arbitrary: longString, weight: 2 },
);

/** Numbers JSON.stringify cannot write, and the ones at the edges of doubles. */
export const RAW_NUMBERS = ['1e999', '-1e999', '-0', '1e308', '-1e308', '5e-324', '1e-400', '9007199254740993', `1${'0'.repeat(400)}`, '0.1e1', '1E2', '0.0000000000000000000001'];
export const INVALID_JSON_NUMBERS = ['NaN', 'Infinity', '-Infinity', '+1', '01', '.5', '1.', '0x10', '1_000'];

export const hostileNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...RAW_NUMBERS).map((t) => new Raw(t)),
  fc.constantFrom(0, -1, 1.5, 2 ** 31, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE, -Number.MAX_VALUE),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

const deepNesting = fc
  .tuple(fc.constantFrom(31, 32, 33, 64, 1000, 5000, 20_000), fc.constantFrom('[', '{"a":'))
  .map(([depth, open]) => new Raw(`${open.repeat(depth)}${open === '[' ? '1' : '1'}${(open === '[' ? ']' : '}').repeat(depth)}`));

/** A value of any type, for a field that expects something else. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(null, true, false, 0, '', [], {}, [null], { a: 1 }, ['x'], [[[]]]), weight: 4 },
  { arbitrary: hostileString, weight: 5 },
  { arbitrary: hostileNumber, weight: 3 },
  { arbitrary: deepNesting, weight: 1 },
  { arbitrary: fc.array(hostileString, { maxLength: 3 }), weight: 1 },
  { arbitrary: fc.constantFrom(...INVALID_JSON_NUMBERS).map((t) => new Raw(t)), weight: 1 },
);

// Coordinates: the Najin rider station, China's gcoord box (lon 72.004-137.8347, lat 0.8293-55.8271) and
// just outside it, the poles and the antimeridian, and numbers no coordinate is.
export const LATS = [29.6489, 29.655, 29.6412, 0, 90, -90, 90.0000001, -90.0000001, 0.8293, 0.8295, 0.8291, 55.8271, 55.8272, 55.827, 89.9999999, 1e-9];
export const LONS = [91.1548, 91.16, 91.12, 0, 180, -180, 180.0000001, -180.0000001, 72.004, 72.005, 72.003, 137.8347, 137.8348, 137.83, 179.9999999, 1e-9];

export const lat: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...LATS), weight: 5 },
  { arbitrary: fc.double({ min: 29.62, max: 29.67, noNaN: true }), weight: 3 },
  { arbitrary: fc.double({ min: -90, max: 90, noNaN: true }), weight: 1 },
  { arbitrary: hostileNumber, weight: 2 },
);
export const lon: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constantFrom(...LONS), weight: 5 },
  { arbitrary: fc.double({ min: 91.1, max: 91.2, noNaN: true }), weight: 3 },
  { arbitrary: fc.double({ min: -180, max: 180, noNaN: true }), weight: 1 },
  { arbitrary: hostileNumber, weight: 2 },
);
export const coordSys = fc.oneof({ arbitrary: fc.constantFrom('wgs84', 'gcj02', 'bd09'), weight: 8 }, { arbitrary: fc.constantFrom('WGS84', 'gcj-02', 'bd09ll', 'epsg:4326', ''), weight: 1 });

// Times: far future, far past, leap seconds, impossible dates, odd offsets.
export const DATE_TIMES = [
  '2025-05-07T13:00:00Z',
  '2025-05-07T21:00:00+08:00',
  '2025-05-07T13:00:00.123456789Z',
  '9999-12-31T23:59:59Z',
  '9999-12-31T23:59:59.999Z',
  '+275760-09-13T00:00:00.000Z',
  '+275760-09-13T00:00:00.001Z',
  '-271821-04-20T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '1969-12-31T23:59:59.999Z',
  '2016-12-31T23:59:60Z',
  '2015-06-30T23:59:60Z',
  '2025-05-07T23:59:60Z',
  '2025-05-07T15:59:60-08:00',
  '2025-02-30T00:00:00Z',
  '2025-13-01T00:00:00Z',
  '2025-05-07T24:00:00Z',
  '2025-05-07T13:00:00+14:00',
  '2025-05-07T13:00:00-12:00',
  '2025-05-07T13:00:00+23:59',
  '2025-05-07t13:00:00z',
  '2025-05-07 13:00:00Z',
  '2025-05-07',
  '2038-01-19T03:14:08Z',
  '1e308',
  'now',
];
export const DATES = ['2025-05-07', '2025-10-01', '2026-02-17', '2016-02-29', '2025-02-29', '2025-02-30', '9999-12-31', '0000-01-01', '+275760-09-13', '2025-5-7', '2025-05-07T00:00:00Z', '20250507', '2025-00-10', 'tomorrow'];

// ---------------------------------------------------------------------------------------------------
// Values from a schema

export interface Pools {
  categories: string[];
  departments: string[];
  grids: string[];
  units: string[];
  cases: string[];
  media: string[];
  usernames: string[];
  password: string;
}

const pick = <T>(values: T[]): fc.Arbitrary<T> => fc.constantFrom(...values);

/** Coordinates within the schema's range: Najin, the edges of China's box, the poles and the antimeridian. */
export const latClean: fc.Arbitrary<number> = fc.oneof({ arbitrary: fc.constantFrom(...LATS.filter((v) => Math.abs(v) <= 90)), weight: 2 }, { arbitrary: fc.double({ min: 29.62, max: 29.67, noNaN: true }), weight: 1 });
export const lonClean: fc.Arbitrary<number> = fc.oneof({ arbitrary: fc.constantFrom(...LONS.filter((v) => Math.abs(v) <= 180)), weight: 2 }, { arbitrary: fc.double({ min: 91.1, max: 91.2, noNaN: true }), weight: 1 });
export const CLEAN_DATE_TIMES = ['2025-05-07T13:00:00Z', '2025-05-07T21:00:00+08:00', '2025-05-01T00:00:00.000Z', '9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '2016-12-31T23:59:60Z'];
export const CLEAN_DATES = ['2025-05-07', '2025-10-01', '2026-02-17', '2016-02-29', '9999-12-31', '0001-01-01'];

export interface SchemaOptions {
  /** Valid values only: what a correct client sends (the fuzz then attacks one other part of the request). */
  clean?: boolean;
}

/** A plausible value for a field known by its name, or undefined to go by its schema. */
function byName(name: string, pools: Pools, clean: boolean): fc.Arbitrary<unknown> | undefined {
  switch (name) {
    case 'categoryId':
    case 'category':
      // The first few are the ones a report goes through with (07-999 "other" needs no photo).
      return pick(clean ? pools.categories.slice(0, 4) : pools.categories);
    case 'departmentId':
    case 'department':
      return pick(pools.departments);
    case 'assistingDepartmentIds':
      return fc.array(pick(pools.departments), { maxLength: 3 });
    case 'gridId':
    case 'grid':
      return pick(pools.grids);
    case 'jurisdictionId':
    case 'parent':
      return pick(pools.units);
    case 'masterCaseId':
    case 'duplicateOf':
      return pick(pools.cases);
    case 'media':
      return clean ? fc.oneof({ arbitrary: fc.constant([]), weight: 3 }, { arbitrary: fc.array(pick(pools.media), { maxLength: 1 }), weight: 1 }) : fc.array(pick(pools.media), { maxLength: 3 });
    case 'lat':
      return clean ? latClean : lat;
    case 'lon':
      return clean ? lonClean : lon;
    case 'coord_sys':
      return clean ? fc.constantFrom('wgs84', 'gcj02', 'bd09') : coordSys;
    case 'username':
      return clean ? fc.oneof({ arbitrary: pick(pools.usernames), weight: 2 }, { arbitrary: fc.stringMatching(/^[a-z][a-z0-9_.-]{1,20}$/), weight: 1 }) : fc.oneof({ arbitrary: pick(pools.usernames), weight: 3 }, { arbitrary: fc.string({ minLength: 2, maxLength: 20 }), weight: 1 });
    case 'password':
      return clean ? fc.constant(pools.password) : fc.oneof({ arbitrary: fc.constant(pools.password), weight: 3 }, { arbitrary: fc.string({ minLength: 1, maxLength: 20 }), weight: 1 });
    case 'from':
    case 'to':
      return pick(clean ? CLEAN_DATE_TIMES : DATE_TIMES);
    case 'lang':
      return clean ? fc.constantFrom('en', 'bo', 'zh-CN') : pick(['en', 'bo', 'zh-CN', 'zh_CN', 'zh-Hans-CN', 'EN', 'bo-CN', 'x-klingon', 'en-US-x-private', 'a'.repeat(8), 'a'.repeat(9), `en${'-abc'.repeat(9)}`]);
    case 'description':
    case 'note':
    case 'reason':
    case 'comment':
    case 'address':
    case 'displayName':
      return fc.oneof({ arbitrary: fc.constantFrom(TIBETAN, EMOJI, '井盖破了一个大洞', 'fuzz note'), weight: 4 }, { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), weight: 1 });
    case 'page':
      return clean ? fc.constantFrom(1, 2) : fc.constantFrom(1, 2, 1_000_000);
    case 'pageSize':
      return fc.constantFrom(1, 5, 20, 100);
    case 'zoom':
      return fc.integer({ min: 0, max: 22 });
    case 'bbox':
      return clean ? bboxClean : bbox;
    default:
      return undefined;
  }
}

/** `minLon,minLat,maxLon,maxLat`: around Najin, at the edges of China and the world, and broken. */
export const bboxClean = fc.oneof(
  { arbitrary: fc.constantFrom('91.12,29.63,91.18,29.67', '91.1548,29.6489,91.1549,29.649', '91.1,29.6,91.2,29.7', '91.15,29.64,91.16,29.65'), weight: 4 },
  { arbitrary: fc.constantFrom('72.004,0.8293,137.8347,55.8271', '72.005,0.8295,137.8348,55.8272', '-180,-90,180,90', '0,0,0,0'), weight: 1 },
);
export const bbox: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: bboxClean, weight: 3 },
  { arbitrary: fc.constantFrom('180,90,-180,-90', '91.18,29.67,91.12,29.63', '179.9,-10,-179.9,10'), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      '-0,-0,-0,-0',
      '1e308,1e308,1e308,1e308',
      `1${'0'.repeat(400)},0,1,1`,
      '1.2.3,4,5,6',
      '.,.,.,.',
      '...,1,2,3',
      '-180.0000001,-90.0000001,180.0000001,90.0000001',
      '91,29,92,30,93',
      '91,29,92',
      'NaN,NaN,NaN,NaN',
      '',
    ),
    weight: 3,
  },
  {
    arbitrary: fc.tuple(lon, lat, lon, lat).map((v) => v.map((x) => (x instanceof Raw ? x.text : String(x))).join(',')),
    weight: 2,
  },
);

/** A valid-looking value from a JSON schema (field names give real ids and coordinates). */
export function fromSchema(schema: JsonSchema | undefined, name: string, pools: Pools, options: SchemaOptions = {}, depth = 0): fc.Arbitrary<unknown> {
  const clean = options.clean ?? false;
  const named = byName(name, pools, clean);
  if (named) return named;
  if (!schema) return hostileValue;
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives?.length) return fc.oneof(...alternatives.map((s) => fromSchema(s, name, pools, options, depth + 1)));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum?.length) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string': {
      if (schema.format === 'date-time') return pick(clean ? CLEAN_DATE_TIMES : DATE_TIMES);
      if (schema.format === 'date') return pick(clean ? CLEAN_DATES : DATES);
      if (schema.pattern) {
        try {
          return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= (schema.maxLength ?? 200));
        } catch {
          // an exotic pattern: any text will do
        }
      }
      const min = schema.minLength ?? 0;
      const max = Math.max(min, Math.min(schema.maxLength ?? 40, 40));
      // Tibetan and emoji text where it fits the bounds (filtered before, not after, picking: a filter that
      // nothing passes would spin fast-check forever, as a maxLength of 10 once did).
      const fitting = [TIBETAN, EMOJI].filter((s) => s.length >= min && s.length <= (schema.maxLength ?? 1e9));
      const text = fc.string({ unit: 'grapheme', minLength: min, maxLength: max });
      return fitting.length ? fc.oneof(text, fc.constantFrom(...fitting)) : text;
    }
    case 'integer':
      return fc.integer({ min: Math.max(schema.minimum ?? -1000, -(2 ** 31)), max: Math.min(schema.maximum ?? 1000, 2 ** 31) });
    case 'number': {
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1e-9 : -1e6);
      const max = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1e-9 : 1e6);
      return fc.oneof(fc.double({ min, max, noNaN: true }), fc.constantFrom(min, max));
    }
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(fromSchema(schema.items, `${name}[]`, pools, options, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case 'object': {
      if (depth > 4) return fc.constant({});
      const props = schema.properties ?? {};
      const model = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, fromSchema(s, k, pools, options, depth + 1)]));
      return fc.record(model, { requiredKeys: (schema.required ?? []).filter((k) => k in props) });
    }
    default:
      return hostileValue;
  }
}

export type Mutation = { op: 'set'; key: string; value: unknown } | { op: 'delete'; key: string } | { op: 'setInArray'; key: string; value: unknown };

const JUNK_KEYS = ['x', 'extra', 'role', 'id', 'status', 'reporterId', '', ' ', '\u0000', '\ud800', TIBETAN, EMOJI, 'a'.repeat(1000), 'constructor', 'toString', 'hasOwnProperty'];

export function mutation(schema: JsonSchema, pools: Pools): fc.Arbitrary<Mutation> {
  const keys = Object.keys(schema.properties ?? {});
  const known = keys.length ? pick(keys) : fc.constant('x');
  const any = fc.oneof({ arbitrary: known, weight: 4 }, { arbitrary: pick(JUNK_KEYS), weight: 1 });
  const arrays = keys.filter((k) => schema.properties![k]!.type === 'array');
  return fc.oneof(
    { arbitrary: fc.record({ op: fc.constant('set' as const), key: any, value: hostileValue }), weight: 6 },
    // A value valid for another field (a wrong-but-plausible type: an id where a number goes, a coordinate where text goes).
    { arbitrary: fc.record({ op: fc.constant('set' as const), key: known, value: fc.oneof(lat, lon, pick(pools.cases), pick(pools.media), coordSys) }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant('delete' as const), key: known }), weight: 2 },
    ...(arrays.length ? [{ arbitrary: fc.record({ op: fc.constant('setInArray' as const), key: pick(arrays), value: hostileValue }), weight: 2 }] : []),
  );
}

export function applyMutations(value: unknown, mutations: Mutation[]): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const m of mutations) {
    if (m.op === 'delete') delete out[m.key];
    else if (m.op === 'set') Object.defineProperty(out, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    else out[m.key] = [...(Array.isArray(out[m.key]) ? (out[m.key] as unknown[]) : []), m.value];
  }
  return out;
}

/** Text put at the start of a JSON object body: prototype poisoning and duplicate keys. */
export const INJECTIONS = ['"__proto__":{"role":"admin"}', '"constructor":{"prototype":{"role":"admin"}}', '"lat":1,"lat":2', '"a":1,"a":{"b":[1,2,3]}'];

/** A JSON body: valid from the schema, mutated, or replaced by something of another shape. */
export function jsonBody(schema: JsonSchema, pools: Pools): fc.Arbitrary<{ value: unknown; inject?: string }> {
  const valid = fromSchema(schema, '', pools);
  return fc.oneof(
    { arbitrary: valid.map((value) => ({ value })), weight: 3 },
    { arbitrary: fc.tuple(valid, fc.array(mutation(schema, pools), { minLength: 1, maxLength: 3 })).map(([value, ms]) => ({ value: applyMutations(value, ms) })), weight: 6 },
    { arbitrary: fc.tuple(valid, pick(INJECTIONS)).map(([value, inject]) => ({ value, inject })), weight: 1 },
    { arbitrary: fc.oneof(hostileValue, valid.map((v) => [v]), fc.constant(new Raw(''))).map((value) => ({ value })), weight: 1 },
  );
}

/** A JSON body as a correct client sends it. */
export function cleanJsonBody(schema: JsonSchema, pools: Pools): fc.Arbitrary<{ value: unknown; inject?: string }> {
  return fromSchema(schema, '', pools, { clean: true }).map((value) => ({ value }));
}

export function jsonText(body: { value: unknown; inject?: string }): string {
  const text = serialize(body.value);
  if (!body.inject) return text;
  return text.startsWith('{') ? `{${body.inject}${text === '{}' ? '' : ','}${text.slice(1)}` : text;
}

// ---------------------------------------------------------------------------------------------------
// Raw bodies

/** Bytes that are not UTF-8: a stray continuation, an overlong '/', an encoded surrogate, a truncated sequence, latin-1. */
export const INVALID_UTF8: Buffer[] = [
  Buffer.from([0xff]),
  Buffer.from([0xfe, 0xff]),
  Buffer.from([0x80]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xe0, 0xa4]),
  Buffer.from([0xf4, 0x90, 0x80, 0x80]),
  Buffer.from('caf\xe9', 'latin1'),
];

export const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json, text/plain',
  'application/geo+json',
  'application/merge-patch+json',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'multipart/form-data; boundary=junk',
  `multipart/form-data; boundary=${'b'.repeat(500)}`,
  'image/jpeg',
  'image/png',
  'video/mp4',
  'application/octet-stream',
  'application/offset+octet-stream',
  '',
  ';',
  'x'.repeat(2000),
  'application/json;;;; charset="\\"',
];

/** Bytes: JSON with invalid UTF-8 inside a string, binary noise, a BOM, text. */
export const rawBytes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.tuple(pick(INVALID_UTF8), fc.constantFrom('description', 'username', 'note', 'kind', 'type')).map(([bad, key]) => Buffer.concat([Buffer.from(`{"${key}":"`), bad, Buffer.from('"}')])),
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
  fc.constantFrom('\uFEFF{}', '{', '}', '[]', 'null', '""', '{"a":1}{"a":1}', '\u0000', ' ', '', 'username=x&password=y', '--junk--\r\n', '{"a":"\\ud800"}', '{"a":"\\u0000"}').map((t) => Buffer.from(t, 'utf8')),
  pick(INVALID_UTF8),
);

export interface FormPart {
  name: string;
  value: Buffer;
  filename?: string;
  type?: string;
}

/** multipart/form-data, written by hand so the boundary, names and framing can be wrong. */
export function multipart(parts: FormPart[], boundary: string, framing: 'good' | 'unclosed' | 'no-final' | 'wrong-boundary' | 'lf-only'): Buffer {
  const nl = framing === 'lf-only' ? '\n' : '\r\n';
  const sep = framing === 'wrong-boundary' ? `${boundary}x` : boundary;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${sep}${nl}Content-Disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}${nl}${p.type ? `Content-Type: ${p.type}${nl}` : ''}${nl}`, 'utf8'));
    chunks.push(p.value);
    chunks.push(Buffer.from(nl));
  }
  if (framing === 'good' || framing === 'lf-only' || framing === 'wrong-boundary') chunks.push(Buffer.from(`--${sep}--${nl}`));
  else if (framing === 'no-final') chunks.push(Buffer.from(`--${sep}${nl}`));
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------------------
// The database fingerprint

/** Every table of the database (the schema under test on PostgreSQL). */
export async function tablesOf(database: Database): Promise<string[]> {
  if (database.dialect === 'sqlite') {
    const rows = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(database.db);
    return rows.rows.map((r) => r.name).sort();
  }
  const rows = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type in ('BASE TABLE', 'UNLOGGED TABLE')`.execute(database.db);
  return rows.rows.map((r) => r.name).sort();
}

export interface TableState {
  count: number;
  hash: string;
  rows: string[];
}

export type Fingerprint = Map<string, TableState>;

/** Every row of every table, hashed per table (rows sorted, so their order does not matter). */
export async function fingerprint(database: Database, tables: string[]): Promise<Fingerprint> {
  const out: Fingerprint = new Map();
  for (const table of tables) {
    const result = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(database.db);
    const rows = result.rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('hex') : v))).sort();
    out.set(table, { count: rows.length, hash: createHash('sha1').update(rows.join('\n')).digest('hex'), rows });
  }
  return out;
}

export interface TableDiff {
  table: string;
  before: number;
  after: number;
  added: string[];
  removed: string[];
}

export function diff(before: Fingerprint, after: Fingerprint): TableDiff[] {
  const out: TableDiff[] = [];
  for (const [table, a] of after) {
    const b = before.get(table);
    if (b && b.hash === a.hash) continue;
    const was = new Set(b?.rows ?? []);
    const now = new Set(a.rows);
    out.push({ table, before: b?.count ?? 0, after: a.count, added: a.rows.filter((r) => !was.has(r)), removed: (b?.rows ?? []).filter((r) => !now.has(r)) });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Describing requests briefly

/** A string cut to `max` characters, with how long it was. */
export function cut(text: string, max = 160): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
}

export function cutBuffer(bytes: Buffer, max = 160): string {
  // eslint-disable-next-line no-control-regex
  if (isUtf8(bytes) && !/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(bytes.toString('utf8'))) return JSON.stringify(cut(bytes.toString('utf8'), max));
  const text = bytes.toString('utf8');
  return bytes.length <= max ? `hex:${bytes.toString('hex')} (${JSON.stringify(text)})` : `hex:${bytes.subarray(0, max).toString('hex')}…(${bytes.length} bytes)`;
}

/** A stable per-route seed from the run's seed. */
export function seedFor(seed: number, key: string): number {
  return createHash('sha1').update(`${seed}:${key}`).digest().readInt32LE(0);
}
