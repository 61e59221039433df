// Points at the edge of the China box over HTTP (issue 8, defect 1), on both dialects. gcoord's GCJ-02 ->
// WGS-84 looped forever for GCJ-02 and BD-09 points just inside the box's west and south edges (lon 72.004,
// lat 0.8293), hanging the whole server; reports, nearby searches and map boxes all convert such points.
// Each request must now be answered (2xx, or 4xx for a box the conversion turns inside out) quickly.

import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bd09ToGcj02, CHINA_BOX, gcj02ToBd09, type CoordSys, type LatLon } from '../../src/geo/coords.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, type ErrorJson } from './support.js';
import { watchdog } from '../support/watchdog.js';

/** Each request's time bound; a conversion takes microseconds. */
const BOUND_MS = 2_000;

const inBox = (p: LatLon): boolean => p.lon >= CHINA_BOX.minLon && p.lon <= CHINA_BOX.maxLon && p.lat >= CHINA_BOX.minLat && p.lat <= CHINA_BOX.maxLat;
/** In the strips along the west and south edges where gcoord looped (GCJ-02). */
const inLoopStrip = (g: LatLon): boolean => inBox(g) && (g.lon < CHINA_BOX.minLon + 0.0055 || g.lat < CHINA_BOX.minLat + 0.0015);

/** GCJ-02 points in the strips, and the box's other corners and edges. */
const GCJ_POINTS: LatLon[] = [
  { lon: 72.005, lat: 30 },
  { lon: 72.0041, lat: 45 },
  { lon: 72.008, lat: 55.8 },
  { lon: 100, lat: 0.8295 },
  { lon: 72.0045, lat: 0.8294 }, // south-west corner
  { lon: 137.834, lat: 0.83 }, // south-east corner
  { lon: 137.8347, lat: 55.8271 }, // north-east corner, on the box
  { lon: 137.84, lat: 40 }, // just outside the east edge
];
/** BD-09 points (Baidu's step is ~1 km north-east) whose GCJ-02 point falls in the strips. */
const BD_POINTS: LatLon[] = [
  { lon: 72.0052, lat: 30 },
  { lon: 100, lat: 0.8296 },
  { lon: 72.0046, lat: 0.8296 },
].map(gcj02ToBd09);

describe.each(DIALECTS)('coordinates at the edge of the China box over HTTP ($name)', (dialect) => {
  let world: World;
  let api: Api;
  let other: string; // 07-999 Other: no photo required
  const dog = watchdog(10_000);

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(['solang', 'tenzin', 'dispatcher', 'admin']);
    other = world.category('07-999').id;
  });
  afterAll(async () => {
    dog.stop();
    await world?.close();
  });

  /** One request under the watchdog: answered with 2xx or 4xx, well within BOUND_MS. */
  const answered = async (what: string, run: () => Promise<LightMyRequestResponse>): Promise<LightMyRequestResponse> => {
    const started = performance.now();
    const res = await dog.guardAsync(what, run);
    const ms = performance.now() - started;
    expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBeGreaterThanOrEqual(200);
    expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
    if (res.statusCode >= 400) expect(typeof res.json<ErrorJson>().error.code).toBe('string');
    expect(ms, `${what} took ${ms.toFixed(0)} ms`).toBeLessThan(BOUND_MS);
    return res;
  };

  const cases: { sys: CoordSys; p: LatLon }[] = [...GCJ_POINTS.map((p) => ({ sys: 'gcj02' as const, p })), ...BD_POINTS.map((p) => ({ sys: 'bd09' as const, p }))];

  it('the BD-09 points really land in the strip where gcoord looped', () => {
    for (const p of BD_POINTS) expect(inLoopStrip(bd09ToGcj02(p)), `${p.lon}, ${p.lat}`).toBe(true);
    expect(GCJ_POINTS.filter(inLoopStrip).length).toBeGreaterThanOrEqual(5);
  });

  it('POST /reports takes GCJ-02 and BD-09 points along the edges: stored as sent, with a finite WGS-84 point', async () => {
    for (const { sys, p } of cases) {
      const res = await answered(`POST /reports ${sys} ${p.lon}, ${p.lat}`, () =>
        api.post('solang', '/api/v1/reports', { categoryId: other, description: '这里一直漏水', lat: p.lat, lon: p.lon, coord_sys: sys }),
      );
      expect(res.statusCode, res.body).toBe(201);
      const created = res.json<{ id: string; location: { lat: number; lon: number; coordSys: string } }>();
      expect(created.location.coordSys).toBe(sys);
      const stored = await world.services.ctx.uow.autocommit.cases.find(created.id);
      expect(stored!.original).toEqual({ lat: p.lat, lon: p.lon, coordSys: sys });
      expect(Number.isFinite(stored!.lat) && Number.isFinite(stored!.lon)).toBe(true);
      // Within the offsets' reach of the point as sent (GCJ-02 ~733 m, BD-09 another ~1 km).
      expect(Math.abs(stored!.lon - p.lon) + Math.abs(stored!.lat - p.lat)).toBeLessThan(0.03);
      // Read back in the client's system, and in the other one.
      for (const as of ['gcj02', 'bd09'] as const) await answered(`GET /cases/:id?coord_sys=${as}`, () => api.get('solang', `/api/v1/cases/${created.id}?coord_sys=${as}`));
    }
  }, 60_000);

  it('GET /reports/nearby answers at the edge points, and at the poles', async () => {
    for (const { sys, p } of cases) {
      const res = await answered(`GET /reports/nearby ${sys} ${p.lon}, ${p.lat}`, () =>
        api.get('tenzin', `/api/v1/reports/nearby?lat=${p.lat}&lon=${p.lon}&categoryId=${other}&coord_sys=${sys}`),
      );
      expect(res.statusCode, res.body).toBe(200);
    }
    // The search box around a pole spans every longitude.
    for (const lat of [90, -90, 89.9999999]) {
      const res = await answered(`GET /reports/nearby at lat ${lat}`, () => api.get('tenzin', `/api/v1/reports/nearby?lat=${lat}&lon=0&categoryId=${other}`));
      expect(res.statusCode, res.body).toBe(200);
    }
  }, 60_000);

  it('GET /map/cases answers boxes with corners in the strips, as clusters and as points', async () => {
    const boxes: { sys: CoordSys; bbox: string }[] = [
      { sys: 'gcj02', bbox: '72.0041,29.99,72.009,30.01' },
      { sys: 'gcj02', bbox: '99.99,0.8294,100.01,0.8305' },
      { sys: 'gcj02', bbox: '72.0041,0.8294,72.0085,0.8306' }, // the south-west corner
      { sys: 'gcj02', bbox: '72.0035,29.99,72.0045,30.01' }, // one corner outside the box, one inside
      ...[
        [72.0045, 29.99, 72.009, 30.01],
        [99.99, 0.8295, 100.01, 0.8305],
      ].map(([w, s, e, n]) => {
        const sw = gcj02ToBd09({ lon: w!, lat: s! });
        const ne = gcj02ToBd09({ lon: e!, lat: n! });
        return { sys: 'bd09' as const, bbox: [sw.lon, sw.lat, ne.lon, ne.lat].map((v) => v.toFixed(6)).join(',') };
      }),
    ];
    for (const { sys, bbox } of boxes) {
      for (const zoom of [10, 16]) {
        for (const who of ['dispatcher', 'admin', 'solang']) {
          await answered(`GET /map/cases ${sys} ${bbox} z${zoom} as ${who}`, () => api.get(who, `/api/v1/map/cases?bbox=${bbox}&zoom=${zoom}&coord_sys=${sys}`));
        }
      }
    }
    // A valid box whose corners convert out of order (one outside China, one inside) is still a box:
    // its WGS-84 extent is that of its converted corners, not a 400.
    for (const bbox of ['72.0035,29.99,72.0045,30.01', '71.9,29.9,72.1,30.1']) {
      const res = await answered(`GET /map/cases gcj02 ${bbox} z12`, () => api.get('dispatcher', `/api/v1/map/cases?bbox=${bbox}&zoom=12&coord_sys=gcj02`));
      expect(res.statusCode, res.body).toBe(200);
    }
    // A box inside the strip answers 200 and finds the case reported there.
    const res = await answered('GET /map/cases around 72.005, 30', () => api.get('admin', '/api/v1/map/cases?bbox=72.0041,29.99,72.009,30.01&zoom=16&coord_sys=gcj02'));
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json<{ items: { type: string; lat: number; lon: number }[] }>().items;
    expect(items.length).toBeGreaterThan(0);
    for (const i of items) expect(Number.isFinite(i.lat) && Number.isFinite(i.lon)).toBe(true);
  }, 60_000);
});
