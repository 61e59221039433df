// Boundary import (issue 3) through the service and POST /api/v1/admin/boundaries, on both dialects:
// a new subdistrict east of Najin is created whole and reports locate there at once; a file with one bad
// feature is rejected whole, naming the feature and the reason, and nothing from it is stored; an
// overlapping grid is reported with its area in m² and the sibling it overlaps; re-importing a grid with
// its own shape updates it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { geodesicAreaM2 } from '../../src/geo/area.js';
import type { BoundaryProblem } from '../../src/geo/boundaries/index.js';
import { CHENGGUAN_CODE, JURISDICTIONS, NAJIN_CODE, rectangle } from '../../src/seed/najin-data.js';
import type { ReportInput } from '../../src/services/cases/report.js';
import { DIALECTS } from '../support/db.js';
import { events, record, reportInput, staffView } from '../support/cases.js';
import { buildWorld, type World } from '../support/world.js';
import { Api, expectError } from '../http/support.js';

// ---- a new subdistrict east of Najin (Najin's eastern edge is at lon 91.200 ± 0.001) ----------------

const NEW_SD = '540102099';
const NEW_COMMUNITY = `${NEW_SD}001`;
const NEW_GRID_WEST = `${NEW_COMMUNITY}001`;
const NEW_GRID_EAST = `${NEW_COMMUNITY}002`;
const NEW_CODES = [NEW_SD, NEW_COMMUNITY, NEW_GRID_WEST, NEW_GRID_EAST];
/** Inside the west grid, and inside the Chengguan district box (lon 91.05–91.25) but no known subdistrict. */
const IN_WEST_GRID = { lat: 29.65, lon: 91.2175 };

interface FeatureJson {
  type: 'Feature';
  properties: Record<string, unknown>;
  geometry: unknown;
}
interface FeatureCollectionJson {
  type: 'FeatureCollection';
  features: FeatureJson[];
}
interface GeoJsonOut {
  type: string;
  features: { id: string; properties: { code: string; level: string; parent_id: string | null }; geometry: { type: string } }[];
}

const rect = rectangle;

const feature = (code: string, level: string, parentCode: string | null, zh: string, geometry: unknown): FeatureJson => ({
  type: 'Feature',
  properties: { code, level, parent_code: parentCode, name_zh: zh, name_en: `Unit ${code}` },
  geometry,
});

const collection = (...features: FeatureJson[]): FeatureCollectionJson => ({ type: 'FeatureCollection', features });

/** The subdistrict, its one community and two grids tessellating it, parents listed after children. */
function newSubdistrict(): FeatureJson[] {
  return [
    feature(NEW_GRID_EAST, 'grid', NEW_COMMUNITY, '东嘎社区第二网格', rect(91.225, 29.64, 91.24, 29.66)),
    feature(NEW_GRID_WEST, 'grid', NEW_COMMUNITY, '东嘎社区第一网格', rect(91.21, 29.64, 91.225, 29.66)),
    feature(NEW_COMMUNITY, 'community', NEW_SD, '东嘎社区', rect(91.21, 29.64, 91.24, 29.66)),
    feature(NEW_SD, 'subdistrict', CHENGGUAN_CODE, '东嘎街道', rect(91.21, 29.64, 91.24, 29.66)),
  ];
}

describe.each(DIALECTS)('boundary import ($name)', (dialect) => {
  let world: World;
  let api: Api;

  beforeAll(async () => {
    world = await buildWorld(dialect);
    api = new Api(world);
    await api.loginAll(['admin', 'dispatcher']);
  });
  afterAll(() => world?.close());

  const storedCodes = async (): Promise<string[]> => (await world.services.ctx.uow.autocommit.reference.jurisdictions()).map((u) => u.code);
  const report = async (username: string, overrides: Partial<ReportInput> = {}) => {
    const { caseId } = await world.services.reports.report(await world.as(username), await reportInput(world, username, overrides));
    return record(world, caseId);
  };
  const importError = async (file: unknown): Promise<BoundaryProblem[]> => {
    let caught: unknown;
    try {
      await world.services.boundaries.import(file);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainError);
    const error = caught as DomainError;
    expect(error.code).toBe('boundaries_invalid');
    expect(error.kind).toBe('invalid');
    return (error.details as { problems: BoundaryProblem[] }).problems;
  };
  const mapJurisdictions = async (query: string): Promise<GeoJsonOut> => {
    const res = await api.get('admin', `/api/v1/map/jurisdictions${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json<GeoJsonOut>();
  };

  it('before the import, a point east of Najin lies in no subdistrict: it waits in the outside queue', async () => {
    const c = await report('lobsang', IN_WEST_GRID);
    expect(c.gridId).toBeNull();
    expect(c.outsideArea).toBe(true);
    expect(c.jurisdictionId).toBe(c.suggestedJurisdictionId);
  });

  it('only an administrator may import boundaries: a dispatcher gets 403', async () => {
    const before = await storedCodes();
    expectError(await api.post('dispatcher', '/api/v1/admin/boundaries', collection(...newSubdistrict())), 403, 'role_not_allowed');
    expect(await storedCodes()).toEqual(before);
  });

  it('rejects a file with one bad feature among good ones, whole: the feature, its code and the reason; nothing stored', async () => {
    const before = await storedCodes();
    const bad = feature(`${NEW_COMMUNITY}003`, 'grid', NEW_COMMUNITY, '坏网格', {
      type: 'Polygon',
      coordinates: [
        [
          [91.23, 29.65],
          [91.235, 29.65],
          [91.235, 29.655],
          [91.23, 29.655],
        ],
      ],
    });
    const problems = await importError(collection(...newSubdistrict(), bad));
    const problem = problems.find((p) => p.feature === 4);
    expect(problem, JSON.stringify(problems)).toMatchObject({ feature: 4, code: `${NEW_COMMUNITY}003`, kind: 'unclosed_ring' });
    expect(problem!.reason).toContain('feature 4');
    expect(problem!.reason).toContain(`${NEW_COMMUNITY}003`);
    expect(problem!.reason).toMatch(/not closed/);
    // The good features are not half-imported.
    expect(await storedCodes()).toEqual(before);
    expect((await report('lobsang', IN_WEST_GRID)).gridId).toBeNull();
  });

  it('the admin API answers 400 boundaries_invalid with details.problems, and stores nothing', async () => {
    const before = await storedCodes();
    const bowTie = feature(`${NEW_COMMUNITY}003`, 'grid', NEW_COMMUNITY, '交叉网格', {
      type: 'Polygon',
      coordinates: [
        [
          [91.23, 29.65],
          [91.235, 29.655],
          [91.235, 29.65],
          [91.23, 29.655],
          [91.23, 29.65],
        ],
      ],
    });
    const res = await api.post('admin', '/api/v1/admin/boundaries', collection(bowTie, ...newSubdistrict()));
    const error = expectError(res, 400, 'boundaries_invalid');
    const problems = (error.details as { problems: BoundaryProblem[] }).problems;
    expect(problems).toContainEqual(expect.objectContaining({ feature: 0, code: `${NEW_COMMUNITY}003`, kind: 'self_intersection' }));
    expect(error.message).toContain('nothing was changed');
    expect(await storedCodes()).toEqual(before);
  });

  it('imports a new subdistrict with its community and grids through the admin API (GeoJSON content type)', async () => {
    const before = await storedCodes();
    const res = await api.post('admin', '/api/v1/admin/boundaries', JSON.stringify(collection(...newSubdistrict())), { 'content-type': 'application/geo+json' });
    expect(res.statusCode, res.body).toBe(200);
    const result = res.json<{ created: string[]; updated: string[] }>();
    // Parents first.
    expect(result).toEqual({ created: [NEW_SD, NEW_COMMUNITY, NEW_GRID_EAST, NEW_GRID_WEST], updated: [] });
    expect((await storedCodes()).sort()).toEqual([...before, ...NEW_CODES].sort());

    const units = await world.services.ctx.uow.autocommit.reference.jurisdictions();
    const byCode = (code: string) => units.find((u) => u.code === code)!;
    expect(byCode(NEW_SD).parentId).toBe(world.unit(CHENGGUAN_CODE).id);
    expect(byCode(NEW_GRID_WEST).parentId).toBe(byCode(NEW_COMMUNITY).id);
    expect(byCode(NEW_GRID_WEST).path).toBe(`${byCode(NEW_COMMUNITY).path}/${byCode(NEW_GRID_WEST).id}`);
    expect(byCode(NEW_GRID_WEST).names).toEqual({ zh: '东嘎社区第一网格', en: `Unit ${NEW_GRID_WEST}`, bo: '东嘎社区第一网格' });
  });

  it('the new units appear in GET /map/jurisdictions', async () => {
    const grids = await mapJurisdictions('?level=grid');
    const codes = grids.features.map((f) => f.properties.code);
    expect(codes).toEqual(expect.arrayContaining([NEW_GRID_WEST, NEW_GRID_EAST]));
    const sd = (await mapJurisdictions('?level=subdistrict')).features.find((f) => f.properties.code === NEW_SD);
    expect(sd?.geometry.type).toBe('Polygon');
    const under = await mapJurisdictions(`?parent=${sd!.id}&level=grid`);
    expect(under.features.map((f) => f.properties.code).sort()).toEqual([NEW_GRID_WEST, NEW_GRID_EAST]);
  });

  it('reports in the new subdistrict locate there at once (the router is rebuilt)', async () => {
    const units = await world.services.ctx.uow.autocommit.reference.jurisdictions();
    const id = (code: string) => units.find((u) => u.code === code)!.id;
    const free = await report('lobsang', IN_WEST_GRID);
    expect(free.gridId).toBe(id(NEW_GRID_WEST));
    expect(free.outsideArea).toBe(false);
    expect((await events(world, free.id)).map((e) => e.action)).toEqual(['report']);

    // A Najin rider's report there is another subdistrict's: referred to it automatically.
    const najin = await report('solang', { lat: 29.65, lon: 91.235 });
    expect(najin.gridId).toBe(id(NEW_GRID_EAST));
    expect(najin.originJurisdictionId).toBe(world.unit(NAJIN_CODE).id);
    const refer = (await events(world, najin.id))[1];
    expect(refer).toMatchObject({ action: 'refer', actorRole: 'system', data: { automatic: true, jurisdictionId: id(NEW_SD) } });
  });

  it('reports an overlapping grid with its area in m² and the sibling it overlaps; nothing stored', async () => {
    const before = await storedCodes();
    // A ~100 m square around 纳金路6号骑手驿站, well inside grid 540102013001001.
    const { lat, lon } = world.najinPoint;
    const square = rect(lon - 0.0005, lat - 0.0005, lon + 0.0005, lat + 0.0005);
    const code = `${NAJIN_CODE}001099`;
    const problems = await importError(collection(feature(code, 'grid', `${NAJIN_CODE}001`, '重叠网格', square)));
    const overlap = problems.find((p) => p.kind === 'overlap');
    expect(overlap, JSON.stringify(problems)).toMatchObject({ feature: 0, code, other: `${NAJIN_CODE}001001` });
    const expected = geodesicAreaM2(square);
    expect(expected).toBeGreaterThan(10_000);
    expect(overlap!.areaM2!).toBeGreaterThan(expected * 0.99);
    expect(overlap!.areaM2!).toBeLessThan(expected * 1.01);
    expect(overlap!.reason).toContain(`${NAJIN_CODE}001001`);
    expect(overlap!.reason).toMatch(/\d[\d,]* m²/);
    expect(await storedCodes()).toEqual(before);
  });

  it('re-importing an existing grid with the same shape updates it in place', async () => {
    const seed = JURISDICTIONS.find((u) => u.code === `${NAJIN_CODE}001002`)!;
    const before = await world.services.ctx.uow.autocommit.reference.jurisdictions();
    const old = before.find((u) => u.code === seed.code)!;
    const result = await world.services.boundaries.import(
      collection({
        type: 'Feature',
        properties: { code: seed.code, level: 'grid', parent_code: seed.parentCode, name_zh: `${seed.names.zh}(更新)`, name_en: seed.names.en, name_bo: seed.names.bo },
        geometry: seed.geometry,
      }),
    );
    expect(result).toEqual({ created: [], updated: [seed.code] });
    const after = await world.services.ctx.uow.autocommit.reference.jurisdictions();
    expect(after.length).toBe(before.length);
    const updated = after.find((u) => u.code === seed.code)!;
    expect(updated.id).toBe(old.id);
    expect(updated.path).toBe(old.path);
    expect(updated.geometry).toEqual(old.geometry);
    expect(updated.names.zh).toBe(`${seed.names.zh}(更新)`);
    // Cases there still land in it, and the new name shows.
    const street = { lat: 29.637975, lon: 91.16225 }; // 金珠东路18号纳金农贸市场
    const c = await report('solang', street);
    expect(c.gridId).toBe(old.id);
    const view = await staffView(world, 'dispatcher', c.id);
    expect(view.grid?.name).toBe(`${seed.names.zh}(更新)`);
  });
});
