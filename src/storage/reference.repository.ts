// Jurisdictions, departments, categories and routing rules.

import type { Kysely } from 'kysely';
import type { AreaGeometry } from '../geo/polygon.js';
import type { SlaOverrides } from '../domain/deadlines.js';
import { bboxOf } from '../geo/polygon.js';
import { fromJson, toJson } from './dialect.js';
import type { CategoryTable, DB, DepartmentTable, JurisdictionTable } from './schema.js';
import type { Names, Jurisdiction, Department, Category, UnitShape } from '../domain/records.js';
import type { ReferenceStore } from '../ports.js';

const names = (row: { name_zh: string; name_en: string; name_bo: string }): Names => ({ zh: row.name_zh, en: row.name_en, bo: row.name_bo });

export const toJurisdiction = (row: JurisdictionTable): Jurisdiction => ({
  id: row.id,
  code: row.code,
  level: row.level,
  parentId: row.parent_id,
  path: row.path,
  names: names(row),
  geometry: fromJson<AreaGeometry | null>(row.geometry, null),
});

export const toDepartment = (row: DepartmentTable): Department => ({
  id: row.id,
  code: row.code,
  kind: row.kind,
  names: names(row),
  jurisdictionId: row.jurisdiction_id,
  phone: row.phone,
});

export const toCategory = (row: CategoryTable): Category => ({
  id: row.id,
  code: row.code,
  kind: row.kind,
  majorCode: row.major_code,
  minorCode: row.minor_code,
  names: names(row),
  defaultDepartmentId: row.default_department_id,
  foodSafety: row.food_safety === 1,
  reportMediaRequired: row.report_media_required === 1,
  resolvePhotoRequired: row.resolve_photo_required === 1,
  duplicateRadiusM: row.duplicate_radius_m,
  defaultUrgency: row.default_urgency,
  sla: fromJson<SlaOverrides | null>(row.sla, null),
  active: row.active === 1,
});

/** A unit's names and polygon as columns, with the polygon's box (what the map's area queries compare). */
function shapeColumns(shape: UnitShape) {
  const box = bboxOf(shape.geometry);
  return {
    name_zh: shape.names.zh,
    name_en: shape.names.en,
    name_bo: shape.names.bo,
    geometry: toJson(shape.geometry),
    min_lon: box.minLon,
    min_lat: box.minLat,
    max_lon: box.maxLon,
    max_lat: box.maxLat,
  };
}

export class ReferenceRepository implements ReferenceStore {
  constructor(private readonly db: Kysely<DB>) {}

  async jurisdiction(id: string): Promise<Jurisdiction | undefined> {
    const row = await this.db.selectFrom('jurisdictions').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toJurisdiction(row);
  }

  async jurisdictions(): Promise<Jurisdiction[]> {
    const rows = await this.db.selectFrom('jurisdictions').selectAll().orderBy('code').execute();
    return rows.map(toJurisdiction);
  }

  async insertJurisdiction(u: Jurisdiction & UnitShape & { createdAt: string }): Promise<void> {
    await this.db
      .insertInto('jurisdictions')
      .values({ id: u.id, code: u.code, level: u.level, parent_id: u.parentId, path: u.path, created_at: u.createdAt, ...shapeColumns(u) })
      .execute();
  }

  async reshapeJurisdiction(id: string, shape: UnitShape): Promise<void> {
    await this.db.updateTable('jurisdictions').set(shapeColumns(shape)).where('id', '=', id).execute();
  }

  async department(id: string): Promise<Department | undefined> {
    const row = await this.db.selectFrom('departments').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toDepartment(row);
  }

  async departments(): Promise<Department[]> {
    const rows = await this.db.selectFrom('departments').selectAll().orderBy('code').execute();
    return rows.map(toDepartment);
  }

  async insertDepartment(row: DepartmentTable): Promise<void> {
    await this.db.insertInto('departments').values(row).execute();
  }

  async category(id: string): Promise<Category | undefined> {
    const row = await this.db.selectFrom('categories').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toCategory(row);
  }

  async categories(): Promise<Category[]> {
    const rows = await this.db.selectFrom('categories').selectAll().orderBy('code').execute();
    return rows.map(toCategory);
  }

  async insertCategory(row: CategoryTable): Promise<void> {
    await this.db.insertInto('categories').values(row).execute();
  }

  async insertRoute(categoryId: string, jurisdictionId: string, departmentId: string): Promise<void> {
    await this.db.insertInto('category_routes').values({ category_id: categoryId, jurisdiction_id: jurisdictionId, department_id: departmentId }).execute();
  }

  /** Routing rules for a category over a set of units: jurisdiction id -> department id. */
  async routes(categoryId: string, jurisdictionIds: string[]): Promise<Map<string, string>> {
    if (jurisdictionIds.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('category_routes')
      .select(['jurisdiction_id', 'department_id'])
      .where('category_id', '=', categoryId)
      .where('jurisdiction_id', 'in', jurisdictionIds)
      .execute();
    return new Map(rows.map((r) => [r.jurisdiction_id, r.department_id]));
  }

  /** Every routing rule: category id -> jurisdiction id -> department id (a few hundred rows at most). */
  async allRoutes(): Promise<Map<string, Map<string, string>>> {
    const rows = await this.db.selectFrom('category_routes').select(['category_id', 'jurisdiction_id', 'department_id']).execute();
    const out = new Map<string, Map<string, string>>();
    for (const r of rows) {
      let byUnit = out.get(r.category_id);
      if (!byUnit) out.set(r.category_id, (byUnit = new Map()));
      byUnit.set(r.jurisdiction_id, r.department_id);
    }
    return out;
  }

  async calendarDays(): Promise<{ date: string; kind: 'holiday' | 'workday' }[]> {
    const rows = await this.db.selectFrom('calendar_days').selectAll().execute();
    return rows.map((r) => ({ date: r.date, kind: r.kind === 'workday' ? 'workday' : 'holiday' }));
  }

  async setCalendarDay(date: string, kind: 'holiday' | 'workday'): Promise<void> {
    await this.db.insertInto('calendar_days').values({ date, kind }).onConflict((oc) => oc.column('date').doUpdateSet({ kind })).execute();
  }
}
