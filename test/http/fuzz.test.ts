// Property-based hostile input (issue 8). fast-check throws random and hostile requests at every route the
// app has, as each kind of user and anonymously, and checks every answer:
//   - never a 5xx, never a hang: each request answers within FUZZ_TIMEOUT_MS (default 2 s, Promise.race);
//   - a 4xx carries the standard error body { error: { code: /^[a-z][a-z0-9_]*$/, message, field?, details? } },
//     as JSON; a 429 that says when to come back (rate_limited, account_locked, too_many_login_attempts)
//     carries Retry-After;
//   - a refused request (4xx) changes no row: every row of every table is hashed before and after each
//     request, except the `throttle` table, which counts failed logins and rate-limited requests by design
//     (and the rows of an upload whose first chunk is refused as not media, which the service drops by design);
//   - a 2xx JSON answer under /api/ never carries a `lat`/`lon` that is not a number within ±90/±180.
//
// Routes come from Fastify itself (app.printRoutes, parsed) joined with the OpenAPI document (/docs/json):
// query parameters and JSON body schemas come from the document, so a new route or field is fuzzed without
// touching this file, and the first test fails when a route is neither documented nor known, or takes a
// body the fuzzer has no generator for. Each request attacks one part (path, query, headers, credentials
// or body, now and then all of them) and sends the rest as a correct client would, so hostile values get
// past the other checks to the code behind them. Workflow actions are aimed mostly at actions the caller
// may take on the case as it stands; tus chunks mostly at the caller's own uploads.
//
// Bounded and reproducible: FUZZ_RUNS requests per route (default 20; a GET's HEAD and swagger-ui's routes a
// quarter of that), seeded from FUZZ_SEED (default 20250507; every failure names it and the route's seed);
// FUZZ_ROUTE_MS bounds each route, shrinking included (default the larger of 15 s and 0.5 s per run).
// FUZZ_SURVEY=1 records every distinct failure, grouped by what went wrong, instead of stopping at (and
// shrinking) the first one per route; FUZZ_CODES=1 adds the error codes to the per-route histogram
// (printed with FUZZ_SURVEY, FUZZ_CODES or on failure). FUZZ_TRACE=1 writes each route to stderr as it starts (find
// the route a hang is in), FUZZ_TRACE=2 each request as well. Throttling runs on the world's manual clock: after a
// 429 the clock moves past its Retry-After, so a rate limit never stalls the rest of the run.
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test FUZZ_RUNS=200 FUZZ_SURVEY=1 npx vitest run test/http/fuzz.test.ts

import type { LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionFields, REQUESTED_ACTIONS, type RequestedAction } from '../../src/domain/workflow.js';
import { LEVELS } from '../../src/domain/types.js';
import { demoPhoto } from '../../src/seed/demo.js';
import { ZHAXI_CODE } from '../../src/seed/najin-data.js';
import { act, toHandling } from '../support/cases.js';
import { DIALECTS } from '../support/db.js';
import {
  applyMutations,
  CLEAN_DATES,
  cleanJsonBody,
  CONTENT_TYPES,
  cut,
  cutBuffer,
  diff,
  documentedKeys,
  EMOJI,
  encodeLoose,
  fingerprint,
  fromSchema,
  hostileNumber,
  hostileString,
  hostileValue,
  INVALID_UTF8,
  jsonBody,
  jsonText,
  lat,
  lon,
  multipart,
  mutation,
  Raw,
  rawBytes,
  routeKey,
  routeSpecs,
  seedFor,
  serialize,
  tablesOf,
  TIBETAN,
  type Fingerprint,
  type FormPart,
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiParameter,
  type Pools,
  type RouteSpec,
  type TableDiff,
} from '../support/fuzz.js';
import { PASSWORD, buildWorld, type World } from '../support/world.js';
import { Api, tinyPng } from './support.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20250507);
const RUNS = Number(process.env.FUZZ_RUNS ?? 20);
const TIMEOUT_MS = Number(process.env.FUZZ_TIMEOUT_MS ?? 2000);
const SURVEY = process.env.FUZZ_SURVEY === '1';
const ROUTE_MS = Number(process.env.FUZZ_ROUTE_MS ?? Math.max(15_000, RUNS * 500));

/**
 * Tables a refused request may legitimately change: `throttle` counts failed logins and rate-limited
 * requests; `auth_tokens` notes a session's last use (once an hour) when the request authenticates.
 */
const MAY_CHANGE_ON_REFUSAL = new Set(['throttle', 'auth_tokens']);

/** Routes Fastify has that the OpenAPI document does not list (swagger-ui's own, the browser app's files and the page at /, tus HEAD). */
const UNDOCUMENTED = (key: string) => /^(GET|HEAD) \/(docs.*|rider.*|assets.*|\*)?$/.test(key) || key === 'HEAD /api/v1/uploads/{id}';

/** Routes whose body has no JSON schema in the OpenAPI document and gets a generator of its own here. */
const OWN_BODY = new Set(['POST /api/v1/media', 'POST /api/v1/admin/boundaries', 'PATCH /api/v1/uploads/{id}']);
const ACTION_ROUTE = 'POST /api/v1/cases/{id}/actions/{action}';
/** Routes that take no body (they get raw junk now and then all the same). */
const NO_BODY = new Set(['POST /api/v1/redemptions/{id}/approve', 'POST /api/v1/auth/logout', 'POST /api/v1/admin/sweep', 'POST /api/v1/uploads', 'DELETE /api/v1/media/{id}/publish', 'DELETE /api/v1/uploads/{id}', 'DELETE /api/v1/admin/lockouts/{username}', 'DELETE /api/v1/me/sessions/{id}', 'DELETE /api/v1/admin/users/{id}/sessions', 'OPTIONS /api/v1/uploads']);

type Who = 'anonymous' | 'rider' | 'dispatcher' | 'handler' | 'admin';
const USERNAME: Record<Exclude<Who, 'anonymous'>, string> = { rider: 'solang', dispatcher: 'dispatcher', handler: 'municipal', admin: 'admin' };
const WHO: Who[] = ['anonymous', 'rider', 'dispatcher', 'handler', 'admin'];

type Auth =
  | { kind: 'as' }
  | { kind: 'raw'; value: string | string[] }
  | { kind: 'token'; of: Exclude<Who, 'anonymous'>; shape: 'lower' | 'double-space' | 'no-scheme' | 'suffix' | 'repeated' | 'trailing-space' | 'plain' };

type Body =
  | { kind: 'none' }
  | { kind: 'json'; json: { value: unknown; inject?: string }; contentType: string }
  | { kind: 'raw'; bytes: Buffer; contentType: string | null }
  | { kind: 'form'; parts: FormPart[]; boundary: string; framing: Parameters<typeof multipart>[2]; contentType: string | null };

interface Req {
  route: string;
  who: Who;
  method: string;
  path: string;
  query: string | null;
  auth: Auth;
  headers: Record<string, string | string[]>;
  body: Body;
}

/** What one request did. */
interface Outcome {
  res?: LightMyRequestResponse;
  ms: number;
  timedOut: boolean;
  threw?: unknown;
  changes: TableDiff[];
}

const latin1 = fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c));
const headerText = (maxLength: number) => fc.string({ unit: latin1, maxLength });
const RAW_QUERY = ['%E0%A4', '%FF', '%C0%AF', '%ED%A0%80', '%', '%zz', '%00', 'a%00b', '%u0041', '+', '%2B', '%26', '%3D', '=', '%F4%90%80%80', '%E0%BD%A6%E0%BD', '%25', '%0A', '%0D%0A'];
const HOSTILE_SEGMENTS = ['%00', 'a%00', '..', '.', '..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2fpackage.json', '%E0%A4', '%FF', '%C0%AF', '%ED%A0%80', '%', '%zz', "'%20OR%20'1'%3D'1", 'null', 'undefined', '-1', '0', '1e308', 'NaN', 'Infinity', '%20', '%3B', '%23', '%3F', encodeURIComponent(TIBETAN), encodeURIComponent(EMOJI), 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(100), 'x'.repeat(101), 'x'.repeat(5000), 'x'.repeat(100_000), '%F0%9F%9A%B2'.repeat(20)];

describe.each(DIALECTS)('property-based hostile input ($name)', (dialect) => {
  let world: World;
  let api: Api;
  let doc: OpenApiDocument;
  let routes: RouteSpec[];
  let pools: Pools;
  let tables: string[];
  let extra: { unitCodes: string[]; uploads: string[]; owned: { id: string; who: Exclude<Who, 'anonymous'> }[]; published: string[]; other: string; features: object[] };

  beforeAll(async () => {
    // A live event stream answers until it ends: here it ends soon, so that each request answers in time.
    world = await buildWorld(dialect, undefined, { live: { maxStreamMs: 200 } });
    api = new Api(world);
    await api.loginAll(Object.values(USERNAME));
    await api.login('tenzin');
    const other = world.category('07-999').id;
    const manhole = world.category('01-003').id;
    // Cases to aim at, in several states, and media of several owners (one published).
    const photoA = await world.photo('solang', 'fuzz A');
    const photoFree = await world.photo('solang', 'fuzz free');
    const photoAfter = await world.photo('municipal', 'fuzz after');
    const photoDispatcher = await world.photo('dispatcher', 'fuzz dispatcher');
    const reported = await world.report('solang', { categoryId: other, media: [], description: 'fuzz reported' });
    const handling = await world.report('solang', { media: [photoA], description: 'fuzz handling' });
    await toHandling(world, handling);
    const filed = await world.report('tenzin', { categoryId: other, media: [], description: 'fuzz filed' });
    await act(world, 'dispatcher', filed, 'accept');
    await act(world, 'dispatcher', filed, 'file');
    const resolved = await world.report('solang', { description: 'fuzz resolved' });
    await toHandling(world, resolved);
    await act(world, 'municipal', resolved, 'resolve', { note: 'fixed', media: [photoAfter] });
    const closed = await world.report('solang', { categoryId: other, media: [], description: 'fuzz closed' });
    await act(world, 'dispatcher', closed, 'accept');
    await act(world, 'dispatcher', closed, 'close', { closureType: 'not_responsible', reason: 'not ours' });
    // Cases at the ends of the coordinate ranges and at the edges of China's offset box, so that every read
    // that answers in gcj02 or bd09 converts them.
    const edges: string[] = [];
    for (const [latitude, longitude] of [
      [90, 0],
      [-90, -180],
      [29.6412, 179.9999999],
      [0.8293, 72.004],
      [55.8271, 137.8347],
    ] as const) {
      edges.push(await world.report('tenzin', { categoryId: other, media: [], description: `fuzz edge ${latitude},${longitude}`, lat: latitude, lon: longitude }));
    }
    await world.services.media.publish(await world.as('dispatcher'), photoA, [{ x: 0.1, y: 0.1, width: 0.2, height: 0.2 }]);
    // Resumable uploads of a small PNG to send chunks to (one already started).
    const png = tinyPng();
    const uploads: string[] = [];
    for (const username of ['solang', 'solang', 'solang', 'solang', 'solang', 'municipal', 'municipal', 'dispatcher']) {
      uploads.push((await world.services.media.createUpload(await world.as(username), png.length, { filename: 'fuzz.png' })).id);
    }
    const started = await world.app.inject({
      method: 'PATCH',
      url: `/api/v1/uploads/${uploads[0]}`,
      payload: png.subarray(0, 40),
      headers: { authorization: `Bearer ${api.token('solang')}`, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
    });
    expect(started.statusCode, started.body).toBe(204);

    const reference = world.services.ctx.uow.autocommit.reference;
    const [units, departments, categories] = await Promise.all([reference.jurisdictions(), reference.departments(), reference.categories()]);
    pools = {
      categories: [other, other, manhole, manhole, ...categories.slice(0, 12).map((c) => c.id), ...categories.filter((c) => c.foodSafety).map((c) => c.id).slice(0, 1)],
      departments: departments.map((d) => d.id),
      grids: units.filter((u) => u.level === 'grid').map((u) => u.id).slice(0, 8),
      units: [world.unit(ZHAXI_CODE).id, ...units.filter((u) => u.level !== 'grid').map((u) => u.id)],
      cases: [reported, handling, filed, resolved, closed, ...edges],
      media: [photoA, photoFree, photoAfter, photoDispatcher],
      usernames: ['solang', 'tenzin', 'dispatcher', 'municipal', 'admin', 'supervisor', 'pema', 'nobody-at-all'],
      password: PASSWORD,
    };
    // Real units as GeoJSON features: importing one again as it is passes every check, so mutations of it
    // reach the import's deeper checks and its writes.
    const codeOf = new Map(units.map((u) => [u.id, u.code]));
    const features = units
      .filter((u) => u.geometry && (u.level === 'grid' || u.level === 'community'))
      .slice(0, 6)
      .map((u) => ({ type: 'Feature', properties: { code: u.code, level: u.level, parent_code: u.parentId ? codeOf.get(u.parentId) : undefined, name_zh: u.names.zh, name_en: u.names.en, name_bo: u.names.bo }, geometry: u.geometry }));
    extra = { unitCodes: units.map((u) => u.code), uploads, owned: [], published: [photoA], other, features };

    const res = await world.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    doc = res.json<OpenApiDocument>();
    routes = routeSpecs(world.app.printRoutes({ commonPrefix: false }), doc);
    tables = (await tablesOf(world.database)).filter((t) => !MAY_CHANGE_ON_REFUSAL.has(t));
  }, 120_000);
  afterAll(() => world?.close());

  it('fuzzes every route Fastify has: the OpenAPI document and the route table agree, and every body has a generator', () => {
    const keys = new Set(routes.map(routeKey));
    expect(routes.length).toBeGreaterThan(30);
    // Every documented operation is a real route ...
    expect(documentedKeys(doc).filter((k) => !keys.has(k))).toEqual([]);
    // ... and every real route is documented, or one of the few known undocumented ones (or a GET's HEAD).
    expect(routes.filter((r) => !r.documented && !r.autoHead && !UNDOCUMENTED(routeKey(r))).map(routeKey)).toEqual([]);
    // A route that takes a body either documents its JSON schema (which the fuzzer builds bodies from) or has
    // a generator here; a new route of neither kind fails this until it gets one.
    const bodied = routes.filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method) && !r.body && !OWN_BODY.has(routeKey(r)) && !NO_BODY.has(routeKey(r)));
    expect(bodied.map(routeKey)).toEqual([]);
  });

  it('answers hostile requests on every route with 2xx or 4xx in the error format, in time, and refusals change no row', async () => {
    const failures: string[] = [];
    const survey = new Map<string, { count: number; routes: Set<string>; example: string }>();
    const stats = new Map<string, Map<string, number>>();
    let sent = 0;
    let slowest = { ms: 0, what: '' };
    let current: Fingerprint | undefined;

    // ---- arbitraries -------------------------------------------------------------------------------

    const png = tinyPng();
    const hugePng = Buffer.from(png);
    hugePng.writeUInt32BE(100_000, 16);
    hugePng.writeUInt32BE(100_000, 20);
    // A photo never sent before (a JPEG made when the request is sent): the same bytes twice are one
    // stored file, so only fresh bytes show whether a refused request kept what it uploaded, every time
    // (while shrinking too).
    const FRESH = Buffer.from('<a fresh JPEG>');
    let freshCount = 0;
    const fresh = (bytes: Buffer): Buffer => (bytes === FRESH ? demoPhoto(`fuzz fresh ${++freshCount} ${Date.now()}`) : bytes);
    const fileBytes: fc.Arbitrary<Buffer> = fc.oneof(
      { arbitrary: fc.constant(FRESH), weight: 3 },
      { arbitrary: fc.constant(png), weight: 1 },
      { arbitrary: fc.string({ maxLength: 8 }).map((label) => demoPhoto(`fuzz ${label}`)), weight: 3 },
      {
        arbitrary: fc.constantFrom(
          png.subarray(0, 30),
          hugePng,
          Buffer.alloc(0),
          Buffer.from('<html><body><script>alert(1)</script></body></html>'),
          Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
          Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
          Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'),
          Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.alloc(12), Buffer.from('junk junk junk')]),
          Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic'), Buffer.alloc(12)]),
          Buffer.concat([demoPhoto('polyglot'), Buffer.from('<html><script>alert(1)</script>')]),
        ),
        weight: 3,
      },
      { arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), weight: 1 },
    );
    const fileName = fc.constantFrom('photo.jpg', '', '../../etc/passwd', 'a\u0000b.jpg', `${TIBETAN}.jpg`, `${EMOJI}.png`, 'x'.repeat(1000), 'a"b.jpg', 'evil.html');
    const fileType = fc.constantFrom('image/jpeg', 'image/png', 'text/html', 'application/octet-stream', '', 'video/mp4', 'image/svg+xml');
    const filePart: fc.Arbitrary<FormPart> = fc.record({ name: fc.constantFrom('file', 'photo', 'media', 'report', '', TIBETAN, 'files[]'), value: fileBytes, filename: fileName, type: fileType });
    const framing = fc.constantFrom('good', 'good', 'good', 'good', 'unclosed', 'no-final', 'wrong-boundary', 'lf-only') as fc.Arbitrary<Parameters<typeof multipart>[2]>;
    const boundary = fc.constantFrom('fuzzboundary1234', '----WebKitFormBoundary7MA4YWxkTrZu0gW', 'a', 'b'.repeat(200), 'with space', '');
    const formCt = fc.option(fc.constantFrom('multipart/form-data', 'multipart/form-data; boundary=other', 'multipart/mixed; boundary=fuzzboundary1234', 'application/json'), { freq: 6 });
    const form = (fields: fc.Arbitrary<FormPart[]>): fc.Arbitrary<Body> =>
      fc.record({ parts: fields, boundary, framing, contentType: formCt }).map(({ parts, boundary: b, framing: f, contentType }) => ({ kind: 'form' as const, parts, boundary: b, framing: f, contentType }));
    const rawBody: fc.Arbitrary<Body> = fc.record({ bytes: rawBytes, contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { freq: 8 }) }).map(({ bytes, contentType }) => ({ kind: 'raw' as const, bytes, contentType }));
    const jsonCt = fc.oneof({ arbitrary: fc.constant('application/json'), weight: 12 }, { arbitrary: fc.constantFrom('application/json; charset=utf-8', 'application/geo+json', 'text/plain', 'APPLICATION/JSON; charset=UTF-8'), weight: 1 });
    const json = (schema: JsonSchema): fc.Arbitrary<Body> => fc.record({ json: jsonBody(schema, pools), contentType: jsonCt }).map(({ json: j, contentType }) => ({ kind: 'json' as const, json: j, contentType }));
    const none: fc.Arbitrary<Body> = fc.constant({ kind: 'none' as const });

    // GeoJSON boundaries: squares near Najin and across the world, broken rings, the antimeridian, bow-ties.
    const point = fc.tuple(lon, lat);
    const square = fc.tuple(fc.constantFrom<[number, number]>([91.15, 29.64], [91.1548, 29.6489], [72.004, 0.8293], [179.99, 10], [-180, -90], [0, 0]), fc.constantFrom(1e-9, 0.0005, 0.01, 1, 400)).map(([[x, y], d]) => [
      [x, y],
      [x + d, y],
      [x + d, y + d],
      [x, y + d],
      [x, y],
    ]);
    const ring: fc.Arbitrary<unknown> = fc.oneof(
      { arbitrary: square, weight: 4 },
      { arbitrary: square.map((r) => r.slice(0, 4)), weight: 1 },
      { arbitrary: fc.array(point, { minLength: 1, maxLength: 6 }).map((r) => [...r, r[0]]), weight: 2 },
      {
        arbitrary: fc.constantFrom(
          [
            [179.9, 10],
            [-179.9, 10],
            [-179.9, 11],
            [179.9, 11],
            [179.9, 10],
          ],
          [
            [91.1, 29.6],
            [91.2, 29.7],
            [91.2, 29.6],
            [91.1, 29.7],
            [91.1, 29.6],
          ],
          [[91.1, 29.6]],
          [],
          Array.from({ length: 3001 }, (_, i) => [91.15 + 0.01 * Math.cos((i * 2 * Math.PI) / 3000), 29.65 + 0.01 * Math.sin((i * 2 * Math.PI) / 3000)]),
        ),
        weight: 1,
      },
    );
    const geometry = fc.oneof(
      { arbitrary: fc.array(ring, { minLength: 1, maxLength: 2 }).map((coordinates) => ({ type: 'Polygon', coordinates })), weight: 6 },
      { arbitrary: fc.array(fc.array(ring, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 2 }).map((coordinates) => ({ type: 'MultiPolygon', coordinates })), weight: 2 },
      { arbitrary: point.map((coordinates) => ({ type: 'Point', coordinates })), weight: 1 },
      { arbitrary: fc.constantFrom(null, { type: 'GeometryCollection', geometries: [] }, { type: 'Polygon' }, { type: 'Polygon', coordinates: 'x' }), weight: 1 },
    );
    const code = fc.oneof(fc.constantFrom(...extra.unitCodes), fc.constantFrom('540102011999', 'fuzz-1', '', TIBETAN, 'x'.repeat(300)));
    const feature = fc.record({
      type: fc.constantFrom('Feature', 'Feature', 'Feature', 'feature'),
      properties: fc.record(
        { code, level: fc.constantFrom(...LEVELS, 'planet', ''), parent_code: code, name_zh: fc.constantFrom('纳金', '测试'), name_en: fc.constantFrom('Najin', ''), name_bo: fc.constantFrom(TIBETAN, '\u0000', '\ud800') },
        { requiredKeys: ['code', 'level'] },
      ),
      geometry,
    });
    const anyFeature = fc.oneof({ arbitrary: fc.constantFrom(...extra.features), weight: 2 }, { arbitrary: feature, weight: 1 });
    const collection = fc.record({ type: fc.constantFrom('FeatureCollection', 'FeatureCollection', 'FeatureCollection', 'Feature', 'Polygon'), features: fc.array(anyFeature, { maxLength: 3 }) });
    // Mutations inside a feature: a property or a coordinate replaced by something hostile.
    const featureMutation = fc.record({ index: fc.nat(2), where: fc.constantFrom('properties', 'geometry'), key: fc.constantFrom('code', 'level', 'parent_code', 'name_zh', 'name_bo', 'type', 'coordinates'), value: fc.oneof(hostileValue, lat, lon) });
    const collectionSchema: JsonSchema = { type: 'object', properties: { type: { type: 'string' }, features: { type: 'array' } } };
    const geojson: fc.Arbitrary<Body> = fc
      .tuple(collection, fc.array(mutation(collectionSchema, pools), { maxLength: 1 }), fc.array(featureMutation, { maxLength: 2 }), fc.constantFrom('application/json', 'application/geo+json', 'application/geo+json; charset=utf-8'))
      .map(([value, ms, inner, contentType]) => {
        // Copies of the features and their parts (the real ones are shared between runs).
        const features = value.features.map((f) => {
          const g = f as { properties?: object; geometry?: object | null };
          return { ...g, properties: { ...g.properties }, geometry: g.geometry && typeof g.geometry === 'object' ? { ...g.geometry } : g.geometry } as Record<string, Record<string, unknown>>;
        });
        for (const m of inner) {
          const target = features[m.index % Math.max(1, features.length)]?.[m.where];
          if (target && typeof target === 'object') target[m.key] = m.value;
        }
        return { kind: 'json' as const, json: { value: applyMutations({ ...value, features }, ms) }, contentType };
      });

    // Reports as multipart: the JSON in a `report` field (valid or mutated), photos beside it.
    const reportSchema = routes.find((r) => routeKey(r) === 'POST /api/v1/reports')!.body!;
    const reportForm = form(
      fc
        .tuple(
          fc.option(jsonBody(reportSchema, pools).map((j) => jsonText(j)), { freq: 8 }),
          fc.array(filePart, { maxLength: 3 }),
          fc.array(fc.record({ name: fc.constantFrom('report', 'note', 'x', ''), value: fc.oneof(hostileString.map((s) => Buffer.from(s)), fc.constantFrom(...INVALID_UTF8)) }), { maxLength: 2 }),
        )
        .map(([report, files, fields]) => [...(report === null ? [] : [{ name: 'report', value: Buffer.from(report) }]), ...files, ...fields]),
    );
    const mediaForm = form(fc.tuple(fc.array(filePart, { maxLength: 4 }), fc.array(fc.record({ name: fc.constantFrom('note', 'x'), value: fc.constantFrom(...INVALID_UTF8, Buffer.from('x')) }), { maxLength: 1 })).map(([a, b]) => [...a, ...b]));
    const rawFile: fc.Arbitrary<Body> = fc
      .record({ bytes: fileBytes, contentType: fc.option(fc.constantFrom('image/jpeg', 'image/png', 'image/heic', 'video/mp4', 'video/quicktime', 'application/octet-stream', 'text/html', 'image/jpeg; charset=utf-8', 'image/'), { freq: 8 }) })
      .map(({ bytes, contentType }) => ({ kind: 'raw' as const, bytes, contentType }));
    const chunk: fc.Arbitrary<Body> = fc
      .record({
        bytes: fc.oneof(fc.constantFrom(png, png.subarray(0, 40), png.subarray(40), Buffer.alloc(0)), fileBytes),
        contentType: fc.oneof({ arbitrary: fc.constant('application/offset+octet-stream'), weight: 8 }, { arbitrary: fc.constantFrom('application/octet-stream', 'image/png', 'application/offset+octet-stream; x=1', ''), weight: 1 }),
      })
      .map(({ bytes, contentType }) => ({ kind: 'raw' as const, bytes, contentType }));

    /** The body a correct client sends. */
    const cleanForm = (parts: fc.Arbitrary<FormPart[]>): fc.Arbitrary<Body> => parts.map((p) => ({ kind: 'form' as const, parts: p, boundary: 'fuzzboundary1234', framing: 'good' as const, contentType: null }));
    const goodPhoto = fc.oneof({ arbitrary: fc.constant(FRESH), weight: 3 }, { arbitrary: fc.constant(png), weight: 1 });
    function cleanBodyOf(route: RouteSpec): fc.Arbitrary<Body> {
      const key = routeKey(route);
      const cleanJson = (schema: JsonSchema) => cleanJsonBody(schema, pools).map((j) => ({ kind: 'json' as const, json: j, contentType: 'application/json' }));
      if (key === 'POST /api/v1/reports') {
        const withPhotos = fc.tuple(cleanJsonBody(route.body!, pools), fc.array(goodPhoto, { minLength: 1, maxLength: 2 })).map(([j, photos]) => [{ name: 'report', value: Buffer.from(jsonText(j)) }, ...photos.map((value, i) => ({ name: 'file', value, filename: `p${i}.jpg`, type: 'image/jpeg' }))]);
        return fc.oneof({ arbitrary: cleanJson(route.body!), weight: 3 }, { arbitrary: cleanForm(withPhotos), weight: 1 });
      }
      if (route.body) return cleanJson(route.body);
      if (key === 'POST /api/v1/media') {
        return fc.oneof(
          goodPhoto.map((bytes) => ({ kind: 'raw' as const, bytes, contentType: 'image/jpeg' })),
          cleanForm(fc.array(goodPhoto, { minLength: 1, maxLength: 3 }).map((photos) => photos.map((value, i) => ({ name: 'file', value, filename: `p${i}.jpg`, type: 'image/jpeg' })))),
        );
      }
      if (key === 'POST /api/v1/admin/boundaries') return collection.map((value) => ({ kind: 'json' as const, json: { value }, contentType: 'application/geo+json' }));
      if (key === 'PATCH /api/v1/uploads/{id}') return fc.constantFrom(png, png.subarray(0, 40), png.subarray(40)).map((bytes) => ({ kind: 'raw' as const, bytes, contentType: 'application/offset+octet-stream' }));
      return none;
    }

    function bodyOf(route: RouteSpec): fc.Arbitrary<Body> {
      const key = routeKey(route);
      if (key === 'POST /api/v1/reports') return fc.oneof({ arbitrary: json(route.body!), weight: 7 }, { arbitrary: reportForm, weight: 3 }, { arbitrary: rawBody, weight: 1 }, { arbitrary: none, weight: 1 });
      if (route.body) return fc.oneof({ arbitrary: json(route.body), weight: 8 }, { arbitrary: rawBody, weight: 2 }, { arbitrary: none, weight: 1 });
      if (key === 'POST /api/v1/media') return fc.oneof({ arbitrary: rawFile, weight: 5 }, { arbitrary: mediaForm, weight: 4 }, { arbitrary: rawBody, weight: 1 }, { arbitrary: none, weight: 1 });
      if (key === 'POST /api/v1/admin/boundaries') return fc.oneof({ arbitrary: geojson, weight: 7 }, { arbitrary: rawBody, weight: 2 }, { arbitrary: none, weight: 1 });
      if (key === 'PATCH /api/v1/uploads/{id}') return fc.oneof({ arbitrary: chunk, weight: 7 }, { arbitrary: rawBody, weight: 1 }, { arbitrary: none, weight: 1 });
      const junk = fc.oneof(rawBody, hostileValue.map((value) => ({ kind: 'json' as const, json: { value }, contentType: 'application/json' })));
      return fc.oneof({ arbitrary: none, weight: route.method === 'GET' || route.method === 'HEAD' ? 12 : 6 }, { arbitrary: junk, weight: 1 });
    }

    // Path segments: real ids of the right kind, ids of another kind, random UUIDs, hostile text.
    const allIds = [...pools.cases, ...pools.media, ...extra.uploads];
    const variants = (ids: string[]) => fc.constantFrom(...ids).chain((id) => fc.constantFrom(id, id, id, id.toUpperCase(), `${id}%00`, `${id}%20`, `%20${id}`, `${id}.json`, `${id}%2F..`));
    function cleanSegment(route: RouteSpec, name: string): fc.Arbitrary<string> {
      if (name === 'action') return fc.constantFrom(...REQUESTED_ACTIONS);
      if (name === 'date') return fc.constantFrom(...CLEAN_DATES);
      if (name === 'username') return fc.constantFrom(...pools.usernames);
      if (name === '*') return fc.constantFrom('static/index.html', 'json', 'yaml', 'static/swagger-ui.css', 'static/logo.svg');
      if (route.path.startsWith('/api/v1/cases/')) return fc.constantFrom(...pools.cases);
      if (route.path.startsWith('/api/v1/public/')) return fc.constantFrom(...extra.published, ...extra.published, ...extra.published, ...pools.media);
      if (route.path.startsWith('/api/v1/media/')) return fc.constantFrom(...pools.media);
      if (route.path.startsWith('/api/v1/uploads/')) return fc.constantFrom(...extra.uploads);
      return fc.uuid();
    }
    function segment(route: RouteSpec, name: string): fc.Arbitrary<string> {
      let valid: fc.Arbitrary<string> | undefined;
      if (name === 'action') valid = fc.constantFrom(...REQUESTED_ACTIONS);
      else if (name === 'date') valid = fc.constantFrom('2025-05-07', '2025-10-01', '2026-02-17', '2016-02-29', '2025-02-29', '2025-02-30', '9999-12-31', '0000-01-01', '%2B275760-09-13', '2025-5-7', '20250507', '2025-05-07T00%3A00%3A00Z');
      else if (name === 'username') valid = fc.constantFrom(...pools.usernames.map(encodeURIComponent), encodeURIComponent(TIBETAN));
      else if (name === '*') valid = fc.constantFrom('static/index.html', 'json', 'yaml', 'static/swagger-ui.css', 'static/../../../package.json', '..%2F..%2Fpackage.json', '%2e%2e/%2e%2e/package.json', 'static/%2e%2e%2f%2e%2e%2fpackage.json', 'static/index.html%00.png', 'static/logo.svg', '');
      else if (route.path.startsWith('/api/v1/cases/')) valid = variants(pools.cases);
      else if (route.path.startsWith('/api/v1/public/')) valid = variants([...extra.published, ...extra.published, ...extra.published, ...pools.media]);
      else if (route.path.startsWith('/api/v1/media/')) valid = variants(pools.media);
      else if (route.path.startsWith('/api/v1/uploads/')) valid = variants(extra.uploads);
      return fc.oneof(
        ...(valid ? [{ arbitrary: valid, weight: 8 }] : []),
        { arbitrary: fc.constantFrom(...allIds), weight: 1 },
        { arbitrary: fc.uuid(), weight: 1 },
        { arbitrary: fc.constantFrom(...HOSTILE_SEGMENTS), weight: 3 },
        { arbitrary: hostileString.map((s) => encodeLoose(s) || 'x'), weight: 1 },
      );
    }
    const pathOf = (route: RouteSpec, clean: boolean): fc.Arbitrary<string> => {
      if (route.params.length === 0) return fc.constant(route.path);
      return fc.tuple(...route.params.map((p) => (clean ? cleanSegment(route, p) : segment(route, p)))).map((values) => {
        let i = 0;
        return route.path.replace(/\{[^}]+\}|\*/g, () => values[i++]!);
      });
    };

    // Raw query strings, so that parameters can repeat and carry text no encoder writes.
    const text = (value: unknown): string => {
      if (value instanceof Raw) return encodeLoose(value.text);
      if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
      if (typeof value === 'string') return encodeLoose(value);
      return encodeLoose(serialize(value));
    };
    function pairsFor(p: OpenApiParameter): fc.Arbitrary<string[]> {
      const schema = p.schema ?? {};
      const isArray = schema.type === 'array';
      const valid = isArray ? fromSchema(schema.items, p.name, pools) : fromSchema(schema, p.name, pools);
      const value = fc.oneof(
        { arbitrary: valid.map(text), weight: 6 },
        { arbitrary: fc.oneof(hostileString, hostileNumber, fc.constantFrom('NaN', 'Infinity', '-Infinity', '-0', '1e308', '', ' 1', '0x10', '1_000', 'true', '[]', '{}')).map(text), weight: 3 },
        { arbitrary: fc.constantFrom(...RAW_QUERY), weight: 1 },
        { arbitrary: fc.constantFrom(...RAW_QUERY).chain((raw) => valid.map((v) => `${text(v)}${raw}`)), weight: 1 },
      );
      const name = fc.oneof({ arbitrary: fc.constant(p.name), weight: 12 }, { arbitrary: fc.constantFrom(`${p.name}[]`, `${p.name}[0]`, `${p.name}[a]`, p.name.toUpperCase(), `${p.name}%00`, `${p.name}.x`, `%20${p.name}`), weight: 1 });
      return fc.array(fc.tuple(name, value).map(([n, v]) => `${n}=${v}`), { minLength: 1, maxLength: isArray ? 4 : 1 });
    }
    const junkPair = fc.oneof(
      fc.constantFrom('__proto__=x', '__proto__[role]=admin', 'constructor[prototype][role]=admin', 'x=1', '=1', 'a', '&', '%00=%00', `${encodeURIComponent(TIBETAN)}=${encodeURIComponent(EMOJI)}`, `k=${'v'.repeat(10_000)}`, `${'k'.repeat(5000)}=v`),
      fc.constantFrom(...RAW_QUERY).map((r) => `${r}=${r}`),
    );
    /** The query a correct client sends: each parameter once (arrays up to twice), valid values, required ones present. */
    function cleanQueryOf(route: RouteSpec): fc.Arbitrary<string | null> {
      const params = route.query.length ? route.query : [{ name: 'lang', in: 'query', schema: { type: 'string' } }];
      return fc
        .tuple(
          ...params.map((p) => {
            const isArray = p.schema?.type === 'array';
            const one = fromSchema(isArray ? p.schema?.items : p.schema, p.name, pools, { clean: true }).map((v) => `${p.name}=${text(v)}`);
            const pairs = fc.array(one, { minLength: 1, maxLength: isArray ? 2 : 1 });
            return p.required ? pairs : fc.option(pairs, { freq: 2 });
          }),
        )
        .map((all) => {
          const pairs = all.filter((x): x is string[] => x !== null).flat();
          return pairs.length ? pairs.join('&') : null;
        });
    }
    function queryOf(route: RouteSpec): fc.Arbitrary<string | null> {
      const params = route.query.length ? route.query : [{ name: 'lang', in: 'query', schema: { type: 'string' } }];
      const required = params.filter((p) => p.required);
      return fc
        .tuple(
          fc.tuple(...required.map((p) => fc.option(pairsFor(p), { freq: 10 }))),
          fc.array(fc.oneof({ arbitrary: fc.oneof(...params.map(pairsFor)), weight: 6 }, { arbitrary: junkPair.map((j) => [j]), weight: 1 }), { maxLength: 4 }),
          fc.constantFrom('&', '&', '&', '&', '&', '&', '&', '&', ';', '&&'),
          fc.constantFrom('', '', '', '', '', '', '', '', '&', '#frag', '?', '&='),
        )
        .map(([req, opt, sep, tail]) => {
          const pairs = [...req.filter((x): x is string[] => x !== null).flat(), ...opt.flat()];
          return pairs.length === 0 && tail === '' ? null : `${pairs.join(sep)}${tail}`;
        });
    }

    // Headers: who is calling (or junk in their place), Idempotency-Key, Accept-Language, tus, odd framing.
    const auth: fc.Arbitrary<Auth> = fc.oneof(
      { arbitrary: fc.constant<Auth>({ kind: 'as' }), weight: 14 },
      {
        arbitrary: fc.record({ kind: fc.constant('token' as const), of: fc.constantFrom('rider', 'dispatcher', 'handler', 'admin') as fc.Arbitrary<Exclude<Who, 'anonymous'>>, shape: fc.constantFrom('lower', 'double-space', 'no-scheme', 'suffix', 'repeated', 'trailing-space', 'plain') as fc.Arbitrary<Extract<Auth, { kind: 'token' }>['shape']> }),
        weight: 2,
      },
      {
        arbitrary: fc.oneof(
          fc.constantFrom('Bearer', 'Bearer ', 'Bearer x', 'Basic c29sYW5nOm5hamluLXRlc3QtcGFzcw==', `Bearer ${'a'.repeat(10_000)}`, 'Bearer null', 'Bearer undefined', 'Bearer \u00ff\u00fe', 'Bearer ../../etc', 'Token abc', ''),
          headerText(80).map((t) => `Bearer ${t}`),
          fc.constant<string[]>(['Bearer a', 'Bearer b']),
        ).map((value): Auth => ({ kind: 'raw', value })),
        weight: 2,
      },
    );
    const idempotencyKey = fc.oneof(headerText(40), fc.constantFrom('', ' ', 'k'.repeat(129), 'k'.repeat(20_000), 'same-key', 'same-key'), fc.constant<string[]>(['same-key', 'other-key']));
    const acceptLanguage = fc.oneof(fc.constantFrom('en', 'bo', 'zh-CN', 'bo-CN,bo;q=0.9,en;q=0.1', 'en;q=abc', '*', '', `${'x-'.repeat(2000)}en`, 'en-US,en;q=0.5,*;q=NaN', ';;;,,,', 'q=1', '\u00e9\u00ff'), headerText(40));
    const oddHeader = fc.constantFrom<[string, string]>(
      ['x-forwarded-for', '1.2.3.4, ::1, junk'],
      ['content-length', '0'],
      ['content-length', '999999999999'],
      ['content-length', '-1'],
      ['content-length', 'abc'],
      ['content-encoding', 'gzip'],
      ['transfer-encoding', 'chunked'],
      ['x-http-method-override', 'DELETE'],
      ['expect', '100-continue'],
      ['range', 'bytes=0-1'],
      ['if-none-match', '*'],
      ['accept', 'application/xml'],
      ['accept', 'text/html;q=0'],
      ['cookie', `a=${'b'.repeat(5000)}`],
    );
    const tusLength = fc.oneof({ arbitrary: fc.constant(String(png.length)), weight: 6 }, { arbitrary: fc.constantFrom('0', '1', '100', String(16 * 1024 * 1024), String(100 * 1024 * 1024), String(100 * 1024 * 1024 + 1), '-1', '1e3', 'abc', '999999999999999', '9'.repeat(20), ' 10', '0x10', ''), weight: 3 });
    const tusOffset = fc.oneof({ arbitrary: fc.constant('CURRENT'), weight: 6 }, { arbitrary: fc.constantFrom('0', '40', String(png.length), '-1', '1e3', 'abc', '999999999999999', '9'.repeat(20), ''), weight: 3 });
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const tusMetadata = fc.constantFrom(`filename ${b64('fuzz.png')}`, `filename ${b64('fuzz.png')},filetype ${b64('image/png')}`, '', ',', ' ', 'a', 'bad key!', `k ${b64('\u0000')}`, `k ${b64(TIBETAN)}`, `k ${'A'.repeat(10_000)}`, 'k !!!notbase64', `${'k'.repeat(65)} eA==`, 'a b c', ',,,a eA==,,,');
    const tusHeaders = (key: string): fc.Arbitrary<Record<string, string>> =>
      fc
        .record({
          version: fc.oneof({ arbitrary: fc.constant('1.0.0'), weight: 8 }, { arbitrary: fc.constantFrom('0.2.2', '', '1.0.0, 1.0.0', '1.0', '1.0.0 '), weight: 1 }),
          length: fc.option(tusLength, { freq: 12 }),
          offset: fc.option(tusOffset, { freq: 12 }),
          metadata: fc.option(tusMetadata, { freq: 3 }),
        })
        .map(({ version, length, offset, metadata }) => ({
          'tus-resumable': version,
          ...(key === 'POST /api/v1/uploads' && length !== null ? { 'upload-length': length } : {}),
          ...(key === 'PATCH /api/v1/uploads/{id}' && offset !== null ? { 'upload-offset': offset } : {}),
          ...(metadata !== null ? { 'upload-metadata': metadata } : {}),
        }));
    const cleanHeadersOf = (route: RouteSpec): fc.Arbitrary<Record<string, string | string[]>> =>
      fc
        .record({ idem: fc.option(fc.uuid(), { freq: 3 }), lang: fc.option(fc.constantFrom('en', 'bo', 'zh-CN', 'bo-CN,bo;q=0.9,en;q=0.1'), { freq: 3 }) })
        .map(({ idem, lang }) => {
          const key = routeKey(route);
          return {
            ...(route.path.startsWith('/api/v1/uploads') ? { 'tus-resumable': '1.0.0' } : {}),
            ...(key === 'POST /api/v1/uploads' ? { 'upload-length': String(png.length), 'upload-metadata': `filename ${b64('fuzz.png')}` } : {}),
            ...(key === 'PATCH /api/v1/uploads/{id}' ? { 'upload-offset': 'CURRENT' } : {}),
            ...(idem !== null ? { 'idempotency-key': idem } : {}),
            ...(lang !== null ? { 'accept-language': lang } : {}),
          };
        });
    const headersOf = (route: RouteSpec): fc.Arbitrary<Record<string, string | string[]>> =>
      fc
        .record({
          idem: fc.option(idempotencyKey, { freq: 3 }),
          lang: fc.option(acceptLanguage, { freq: 3 }),
          odd: fc.option(oddHeader, { freq: 8 }),
          tus: route.path.startsWith('/api/v1/uploads') ? tusHeaders(routeKey(route)) : fc.constant({}),
        })
        .map(({ idem, lang, odd, tus }) => ({
          ...tus,
          ...(idem !== null ? { 'idempotency-key': idem } : {}),
          ...(lang !== null ? { 'accept-language': lang } : {}),
          ...(odd !== null ? { [odd[0]]: odd[1] } : {}),
        }));

    const describeReq = (r: Req): string => {
      const url = `${r.path}${r.query === null ? '' : `?${r.query}`}`;
      const headers = Object.entries(r.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.map((x) => JSON.stringify(cut(x, 60))).join(' + ') : JSON.stringify(cut(v, 80))}`);
      const authText = r.auth.kind === 'as' ? '' : r.auth.kind === 'raw' ? ` authorization=${Array.isArray(r.auth.value) ? JSON.stringify(r.auth.value) : JSON.stringify(cut(r.auth.value, 60))}` : ` authorization=<${r.auth.of}'s token, ${r.auth.shape}>`;
      let body = '';
      if (r.body.kind === 'json') body = ` body(${r.body.contentType})=${cut(jsonText(r.body.json), 400)}`;
      else if (r.body.kind === 'raw') body = ` body(${r.body.contentType ?? 'no content-type'})=${cutBuffer(r.body.bytes, 200)}`;
      else if (r.body.kind === 'form') body = ` form(boundary=${JSON.stringify(cut(r.body.boundary, 30))}, ${r.body.framing}${r.body.contentType ? `, content-type ${r.body.contentType}` : ''})=[${r.body.parts.map((p) => `${JSON.stringify(cut(p.name, 30))}${p.filename !== undefined ? ` file ${JSON.stringify(cut(p.filename, 30))} ${p.type}` : ''}: ${cutBuffer(p.value, p.filename === undefined ? 400 : 120)}`).join('; ')}]`;
      return `${r.method} ${cut(url, 300)} as ${r.who}${authText}${headers.length ? ` headers {${headers.join(', ')}}` : ''}${body}`;
    };

    // Each request attacks one part (path, query, headers, credentials or body) and sends the rest as a
    // correct client would, so that most hostile values get past the other checks to the code behind them;
    // now and then every part is hostile at once, or none is.
    const focus = fc.oneof(
      { arbitrary: fc.constant('none' as const), weight: 2 },
      { arbitrary: fc.constant('path' as const), weight: 2 },
      { arbitrary: fc.constant('query' as const), weight: 2 },
      { arbitrary: fc.constant('headers' as const), weight: 1 },
      { arbitrary: fc.constant('auth' as const), weight: 1 },
      { arbitrary: fc.constant('body' as const), weight: 4 },
      { arbitrary: fc.constant('all' as const), weight: 1 },
    );
    type Parts = Omit<Req, 'route' | 'method'>;
    const partsOf = (route: RouteSpec, f: string): fc.Arbitrary<Parts> => {
      const hostile = (part: string) => f === part || f === 'all';
      return fc.record({
        // Administrators' routes mostly as the administrator, so their bodies get past the role check.
        who: route.path.startsWith('/api/v1/admin/') ? fc.oneof({ arbitrary: fc.constant<Who>('admin'), weight: 4 }, { arbitrary: fc.constantFrom(...WHO), weight: 1 }) : fc.constantFrom(...WHO),
        path: pathOf(route, !hostile('path')),
        query: hostile('query') ? queryOf(route) : cleanQueryOf(route),
        auth: hostile('auth') ? auth : fc.constant<Auth>({ kind: 'as' }),
        headers: hostile('headers') ? headersOf(route) : cleanHeadersOf(route),
        body: hostile('body') ? bodyOf(route) : cleanBodyOf(route),
      });
    };
    // Workflow actions: most requests take an action the caller may take on the case as it stands now
    // (from the case views, refreshed before the route is fuzzed), with a body of that action's fields,
    // so that hostile values reach the state machine and the writes behind it.
    const actionParts = (route: RouteSpec, f: string): fc.Arbitrary<Parts> => {
      if (legal.length === 0 || f === 'path' || f === 'all') return partsOf(route, f);
      const hostile = (part: string) => f === part;
      return fc.constantFrom(...legal).chain(({ caseId, action, who }) => {
        const fields = actionFields(action) as readonly string[];
        const schema: JsonSchema = { ...route.body!, properties: Object.fromEntries(Object.entries(route.body!.properties ?? {}).filter(([k]) => fields.includes(k))), required: [] };
        return fc.record({
          who: fc.constant(who),
          path: fc.constant(`/api/v1/cases/${caseId}/actions/${action}`),
          query: hostile('query') ? queryOf(route) : cleanQueryOf(route),
          auth: hostile('auth') ? auth : fc.constant<Auth>({ kind: 'as' }),
          headers: hostile('headers') ? headersOf(route) : cleanHeadersOf(route),
          body: hostile('body') ? fc.oneof({ arbitrary: json(schema), weight: 3 }, { arbitrary: bodyOf(route), weight: 1 }) : cleanJsonBody(schema, pools).map((j) => ({ kind: 'json' as const, json: j, contentType: 'application/json' })),
        });
      });
    };
    // Resumable uploads: mostly as their owner, so that chunks reach the upload code.
    const uploadParts = (route: RouteSpec, f: string): fc.Arbitrary<Parts> => {
      if (extra.owned.length === 0 || f === 'path' || f === 'all') return partsOf(route, f);
      return fc.tuple(fc.constantFrom(...extra.owned), partsOf(route, f)).map(([{ id, who }, parts]) => ({ ...parts, who, path: route.path.replace('{id}', id) }));
    };
    const aimed = (route: RouteSpec, f: string): fc.Arbitrary<Parts> => {
      if (routeKey(route) === ACTION_ROUTE) return fc.oneof({ arbitrary: actionParts(route, f), weight: 3 }, { arbitrary: partsOf(route, f), weight: 1 });
      if (route.path === '/api/v1/uploads/{id}') return fc.oneof({ arbitrary: uploadParts(route, f), weight: 3 }, { arbitrary: partsOf(route, f), weight: 1 });
      return partsOf(route, f);
    };
    const requestOf = (route: RouteSpec): fc.Arbitrary<Req> =>
      focus
        .chain((f) => aimed(route, f))
        .map((r) => {
          const req: Req = { route: routeKey(route), method: route.method, ...r };
          Object.defineProperty(req, fc.toStringMethod, { value: () => describeReq(req), enumerable: false });
          return req;
        });

    // Fixtures the fuzz uses up (a withdrawn photo, finished uploads, cases moved on) are renewed before
    // each route that aims at them.
    let legal: { caseId: string; action: RequestedAction; who: Exclude<Who, 'anonymous'> }[] = [];
    const byId = new Map([...world.users.values()].map((u) => [u.id, u.username]));
    async function refresh(route: RouteSpec): Promise<void> {
      const key = routeKey(route);
      current = undefined;
      if (route.path.startsWith('/api/v1/public/') || route.path.startsWith('/api/v1/media/{id}/publish')) {
        await world.services.media.publish(await world.as('dispatcher'), extra.published[0]!, []).catch(() => undefined);
      }
      if (route.path.startsWith('/api/v1/uploads/')) {
        const open = await world.database.db.selectFrom('uploads').select(['id', 'owner_id']).where('media_id', 'is', null).execute();
        for (const u of open) {
          const owner = byId.get(u.owner_id);
          if (owner) await world.services.media.deleteUpload(await world.as(owner), u.id).catch(() => undefined);
        }
        extra.uploads = [];
        extra.owned = [];
        for (const who of ['rider', 'rider', 'rider', 'rider', 'handler', 'handler', 'dispatcher'] as const) {
          const id = (await world.services.media.createUpload(await world.as(USERNAME[who]), png.length, { filename: 'fuzz.png' })).id;
          extra.uploads.push(id);
          extra.owned.push({ id, who });
        }
        await world.app.inject({
          method: 'PATCH',
          url: `/api/v1/uploads/${extra.uploads[0]}`,
          payload: png.subarray(0, 40),
          headers: { authorization: `Bearer ${tokens.get('solang')}`, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
        });
      }
      if (key === ACTION_ROUTE) {
        // Fresh cases at the start of the loop, beside the ones earlier routes moved on.
        const fresh = await world.report('solang', { categoryId: extra.other, media: [], description: 'fuzz fresh' });
        const working = await world.report('solang', { description: 'fuzz working' });
        await toHandling(world, working);
        pools.cases = [...new Set([fresh, working, ...pools.cases])];
        legal = [];
        for (const caseId of pools.cases) {
          for (const who of ['rider', 'dispatcher', 'handler', 'admin'] as const) {
            const view = await world.services.caseQueries.get(await world.as(USERNAME[who]), caseId, 'en').catch(() => undefined);
            for (const action of ((view as { availableActions?: RequestedAction[] } | undefined)?.availableActions ?? [])) legal.push({ caseId, action, who });
          }
        }
      }
    }

    // ---- sending ---------------------------------------------------------------------------------------

    const lastSegment = (path: string): string => {
      const raw = path.split('/').pop() ?? '';
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    };
    const tokens = new Map<string, string>(Object.values(USERNAME).map((u) => [u, api.token(u)]));
    const isLogout = (r: Req) => r.route === 'POST /api/v1/auth/logout';

    async function tokenFor(who: Exclude<Who, 'anonymous'>, r: Req): Promise<string> {
      // Logging out revokes the token sent: a logout gets a session of its own, never one the run relies on.
      if (!isLogout(r)) return tokens.get(USERNAME[who])!;
      current = undefined;
      // The fuzzed logins may have locked the account by now: lift the lockout for this session.
      await world.services.throttle.unlock(USERNAME[who]);
      return (await world.services.auth.login(USERNAME[who], PASSWORD, { address: '192.0.2.1' })).token;
    }

    async function headersFor(r: Req): Promise<Record<string, string | string[]>> {
      const headers: Record<string, string | string[]> = { ...r.headers };
      if (r.auth.kind === 'as') {
        if (r.who !== 'anonymous') headers.authorization = `Bearer ${await tokenFor(r.who, r)}`;
      } else if (r.auth.kind === 'raw') {
        headers.authorization = r.auth.value;
      } else {
        const t = await tokenFor(r.auth.of, r);
        headers.authorization = {
          lower: `bearer ${t}`,
          'double-space': `Bearer  ${t}`,
          'no-scheme': t,
          suffix: `Bearer ${t}x`,
          repeated: [`Bearer ${t}`, `Bearer ${t}`],
          'trailing-space': `Bearer ${t} `,
          plain: `Bearer ${t}`,
        }[r.auth.shape];
      }
      if (headers['upload-offset'] === 'CURRENT') {
        const id = lastSegment(r.path);
        const upload = await world.services.ctx.uow.autocommit.media.findUpload(id).catch(() => undefined);
        headers['upload-offset'] = String(upload?.received ?? 0);
      }
      return headers;
    }

    function payloadOf(r: Req, headers: Record<string, string | string[]>): Buffer | undefined {
      const b = r.body;
      if (b.kind === 'none') return undefined;
      if (b.kind === 'json') {
        headers['content-type'] = b.contentType;
        return Buffer.from(jsonText(b.json), 'utf8');
      }
      if (b.kind === 'raw') {
        if (b.contentType !== null) headers['content-type'] = b.contentType;
        return fresh(b.bytes);
      }
      headers['content-type'] = b.contentType ?? `multipart/form-data; boundary=${b.boundary}`;
      return multipart(b.parts.map((p) => ({ ...p, value: fresh(p.value) })), b.boundary, b.framing);
    }

    async function send(r: Req): Promise<Outcome> {
      sent++;
      if (process.env.FUZZ_TRACE === '2') process.stderr.write(`send ${cut(describeReq(r), 400)}\n`);
      const headers = await headersFor(r);
      const payload = payloadOf(r, headers);
      current ??= await fingerprint(world.database, tables);
      const before = current;
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const request = world.app.inject({ method: r.method as 'GET', url: `${r.path}${r.query === null ? '' : `?${r.query}`}`, headers, ...(payload === undefined ? {} : { payload }) });
      const outcome: Outcome = { ms: 0, timedOut: false, changes: [] };
      try {
        const res = await Promise.race([request, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), TIMEOUT_MS)))]);
        outcome.ms = performance.now() - started;
        if (res === 'timeout') {
          outcome.timedOut = true;
          // Let it finish (or give up) before the next request, so its writes are not blamed on another.
          await Promise.race([request.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 30_000))]);
        } else outcome.res = res;
      } catch (error) {
        outcome.threw = error;
      } finally {
        clearTimeout(timer);
      }
      current = await fingerprint(world.database, tables);
      outcome.changes = diff(before, current);
      // Throttle windows run on the world's manual clock: once refused, wait out the Retry-After there, so
      // the next request (and every shrinking step) reaches the handler again.
      const retryAfter = Number(outcome.res?.statusCode === 429 ? outcome.res.headers['retry-after'] : 0);
      if (retryAfter > 0) world.clock.advance((retryAfter + 1) / 60);
      return outcome;
    }

    // ---- judging -----------------------------------------------------------------------------------

    /** A PATCH whose first chunk is not media drops its upload, by design (media.service appendUpload). */
    const allowed = (r: Req, d: TableDiff): boolean => {
      if (r.route !== 'PATCH /api/v1/uploads/{id}' || d.added.length > 0) return false;
      const id = lastSegment(r.path);
      return (d.table === 'uploads' || d.table === 'upload_parts') && d.removed.every((row) => row.includes(`"${id}"`));
    };

    const locations = (value: unknown, out: string[] = [], depth = 0): string[] => {
      if (depth > 12 || value === null || typeof value !== 'object') return out;
      if (Array.isArray(value)) {
        for (const v of value) locations(v, out, depth + 1);
        return out;
      }
      const o = value as Record<string, unknown>;
      if ('lat' in o && 'lon' in o) {
        const ok = typeof o.lat === 'number' && typeof o.lon === 'number' && Math.abs(o.lat) <= 90 && Math.abs(o.lon) <= 180;
        if (!ok) out.push(`lat ${JSON.stringify(o.lat)}, lon ${JSON.stringify(o.lon)}`);
      }
      for (const v of Object.values(o)) locations(v, out, depth + 1);
      return out;
    };

    function judge(r: Req, o: Outcome): { kind: string; detail: string }[] {
      if (o.threw) return [{ kind: 'inject threw', detail: String((o.threw as Error)?.stack ?? o.threw).slice(0, 600) }];
      if (o.timedOut) return [{ kind: 'hang', detail: `no answer within ${TIMEOUT_MS} ms` }];
      const res = o.res!;
      const status = res.statusCode;
      const problems: { kind: string; detail: string }[] = [];
      const answer = `${status} ${cut(res.body, 500)}`;
      let code = '';
      if (status >= 500) problems.push({ kind: `status ${status}`, detail: answer });
      else if (status < 200 || (status >= 300 && status < 400 && !/^\/(docs.*|rider)?$/.test(r.path))) problems.push({ kind: `unexpected status ${status}`, detail: answer });
      if (status >= 400 && status < 500) {
        if (r.method !== 'HEAD') {
          let body: { error?: { code?: unknown; message?: unknown } } | undefined;
          try {
            body = JSON.parse(res.body) as typeof body;
          } catch {
            body = undefined;
          }
          const c = body?.error?.code;
          const m = body?.error?.message;
          code = typeof c === 'string' ? c : '';
          const e = body?.error as { field?: unknown; details?: unknown } | undefined;
          const extrasOk = (e?.field === undefined || typeof e.field === 'string') && (e?.details === undefined || (typeof e.details === 'object' && e.details !== null && !Array.isArray(e.details)));
          if (typeof c !== 'string' || !/^[a-z][a-z0-9_]*$/.test(c) || typeof m !== 'string' || m.length === 0 || !extrasOk) problems.push({ kind: 'non-standard error body', detail: answer });
          else if (!/json/.test(String(res.headers['content-type']))) problems.push({ kind: 'error body not JSON', detail: `${answer} content-type ${res.headers['content-type']}` });
          if (['rate_limited', 'account_locked', 'too_many_login_attempts'].includes(code) && !/^[1-9]\d*$/.test(String(res.headers['retry-after']))) {
            problems.push({ kind: '429 without Retry-After', detail: answer });
          }
        }
        const changed = o.changes.filter((d) => !allowed(r, d));
        if (changed.length) {
          problems.push({
            kind: `refused request changed ${changed.map((d) => d.table).join(', ')}`,
            detail: `${answer}\n      ${changed.map((d) => `${d.table}: ${d.before} -> ${d.after} rows; added ${d.added.map((x) => cut(x, 300)).join(' | ') || '-'}; removed ${d.removed.map((x) => cut(x, 300)).join(' | ') || '-'}`).join('\n      ')}`,
          });
        }
      }
      if (status >= 200 && status < 300 && r.path.startsWith('/api/') && /json/.test(String(res.headers['content-type'])) && r.method !== 'HEAD') {
        let body: unknown;
        try {
          body = JSON.parse(res.body);
        } catch {
          problems.push({ kind: '2xx body is not the JSON it says', detail: cut(res.body, 300) });
        }
        const bad = locations(body);
        if (bad.length) problems.push({ kind: '2xx answer with a bad coordinate', detail: `${bad.slice(0, 3).join('; ')} in ${cut(res.body, 300)}` });
      }
      return problems.map((p) => ({ kind: p.kind, detail: p.detail }));
    }

    // ---- running -----------------------------------------------------------------------------------

    const started = performance.now();
    for (const route of routes) {
      const key = routeKey(route);
      const numRuns = route.autoHead || route.path.startsWith('/docs') || route.path.startsWith('/rider') || route.path.startsWith('/assets') || route.path === '/' ? Math.max(2, Math.ceil(RUNS / 4)) : RUNS;
      const seed = seedFor(SEED, `${dialect.name} ${key}`);
      const seen = new Map<string, number>();
      stats.set(key, seen);
      if (process.env.FUZZ_TRACE) process.stderr.write(`route ${key} ${((performance.now() - started) / 1000).toFixed(1)}s\n`);
      await refresh(route);
      const property = fc.asyncProperty(requestOf(route), async (r) => {
        const outcome = await send(r);
        let answered = outcome.timedOut ? 'hang' : String(outcome.res?.statusCode ?? 'threw');
        if (outcome.res && outcome.res.statusCode >= 400 && process.env.FUZZ_CODES === '1') {
          try {
            answered += ` ${(JSON.parse(outcome.res.body) as { error?: { code?: string } }).error?.code}`;
          } catch {
            // not JSON
          }
        }
        seen.set(answered, (seen.get(answered) ?? 0) + 1);
        if (outcome.ms > slowest.ms) slowest = { ms: outcome.ms, what: `${cut(describeReq(r), 300)} -> ${answered}` };
        const problems = judge(r, outcome);
        if (problems.length === 0) return;
        for (const p of problems) {
          // One defect shows on many routes: group by what went wrong (kind, status, the code in the body).
          let code = '';
          try {
            const body = JSON.parse(outcome.res?.body ?? '') as { code?: unknown; error?: { code?: unknown } };
            code = String(body.error?.code ?? body.code ?? '');
          } catch {
            // no JSON
          }
          const signature = `${p.kind}${outcome.res ? ` | ${outcome.res.statusCode}` : ''}${code ? ` ${code}` : ''}`;
          const example = `${describeReq(r)}\n      -> ${p.detail}`;
          const known = survey.get(signature) ?? { count: 0, routes: new Set<string>(), example };
          known.count++;
          known.routes.add(key);
          if (example.length < known.example.length) known.example = example;
          survey.set(signature, known);
        }
        if (!SURVEY) throw new Error(problems.map((p) => `${p.kind}: ${p.detail}`).join('\n'));
      });
      try {
        // The time limit bounds shrinking too (a failure found is still reported, shrunk as far as it got).
        await fc.assert(property, { seed, numRuns, interruptAfterTimeLimit: ROUTE_MS });
      } catch (error) {
        const cause = (error as Error).cause;
        failures.push(`${key} (FUZZ_SEED=${SEED}, route seed ${seed}):\n${String((error as Error).message).slice(0, 4000)}${cause ? `\n${String((cause as Error).message ?? cause).slice(0, 4000)}` : ''}`);
      }
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);

    const histogram = [...stats].map(([key, seen]) => `  ${key.padEnd(48)} ${[...seen].sort((a, b) => a[0].localeCompare(b[0])).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    const throttled = [...stats.values()].reduce((n, seen) => n + [...seen].filter(([s]) => s.startsWith('429')).reduce((m, [, c]) => m + c, 0), 0);
    const verbose = SURVEY || failures.length > 0 || process.env.FUZZ_CODES === '1';
    console.log(`fuzz (${dialect.name}): ${sent} requests over ${routes.length} routes in ${seconds} s, seed ${SEED}, ${throttled} answered 429; slowest ${slowest.ms.toFixed(0)} ms: ${slowest.what}${verbose ? `\n${histogram.join('\n')}` : ''}`);
    if (survey.size) {
      console.log(
        `fuzz (${dialect.name}): ${survey.size} distinct failure(s)\n${[...survey]
          .sort((a, b) => a[0].localeCompare(b[0]))
          .map(([signature, { count, routes: where, example }]) => `  [${count}×] ${signature}\n      on ${[...where].join(', ')}\n      e.g. ${example}`)
          .join('\n')}`,
      );
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
    // Every route was fuzzed (a route cut short by FUZZ_ROUTE_MS still had its first requests).
    expect(routes.filter((r) => [...(stats.get(routeKey(r))?.values() ?? [])].reduce((a, b) => a + b, 0) === 0).map(routeKey)).toEqual([]);
  }, 20 * 60_000);
});
