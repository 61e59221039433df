// The SQL that matters for speed, pinned per dialect (as Kysely's own suite pins what it compiles): the
// duplicate-candidate query asked with every report, the map's point view and its clusters. What the
// repository sends is captured through Kysely's query log, so these are the statements actually executed.
//
// - SQLite keeps no statistics, so the repository names the index where its planner would otherwise pick
//   a one-column index and walk the city: `indexed by cases_near` (migration 008) for duplicate
//   candidates, `indexed by cases_cell` for the map's wide views. PostgreSQL has no such clause (it
//   chooses on its own statistics) and must never be sent one.
// - Rows of cells are IN lists, so both planners seek the (cy, cx, ...) index once per row instead of
//   reading every cell of those rows across the whole city; past MAX_CELL_ROWS rows (bound parameters
//   are finite) they give way to a range.
// - On SQLite the plans themselves are checked too: cases_near is only worth having if the cells are
//   equalities and latitude a range inside each of them.

import { CompiledQuery, type LogEvent } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellRepository } from '../../src/storage/cell.repository.js';
import type { Visibility } from '../../src/storage/case.visibility.js';
import type { DialectName } from '../../src/storage/db.js';
import { DIALECTS, freshDatabase, type DialectUnderTest, type TestDatabase } from '../support/db.js';

/** cell.repository.ts's MAX_CELL_ROWS: the most rows (or columns) of cells sent as an IN list. */
const MAX_CELL_ROWS = 1000;

/** A new, migrated database of the dialect with Kysely's query log. */
const loggedDatabase = (dialect: DialectUnderTest, log: (event: LogEvent) => void) => freshDatabase(dialect, { log, poolSize: 2 });

/** `n` placeholders from the `first`-th parameter on, comma separated: `?, ?` or `$3, $4`. */
const marks = (dialect: DialectName, first: number, n: number): string =>
  Array.from({ length: n }, (_, i) => (dialect === 'postgres' ? `$${first + i}` : '?')).join(', ');

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// A few cells around a point in Najin (level 3: 0.001°), as DuplicateService and MapService compute them.
const SINCE = '2025-05-01T00:00:00.000Z';
const NEAR = { y0: 119610, y1: 119611, x0: 271120, x1: 271122, box: { minLat: 29.6101, maxLat: 29.6115, minLon: 91.1202, maxLon: 91.1224 } };
const BOX = { y0: 119610, y1: 119612, x0: 271120, x1: 271125, minLat: 29.6101, maxLat: 29.6125, minLon: 91.1202, maxLon: 91.1258 };

describe.each(DIALECTS)('SQL shapes ($name)', (dialect) => {
  const pgsql = dialect.name === 'postgres';
  let database: TestDatabase;
  let cells: CellRepository;
  let executed: CompiledQuery[] = [];

  beforeAll(async () => {
    database = await loggedDatabase(dialect, (event) => {
      if (event.level === 'query') executed.push(event.query);
    });
    cells = new CellRepository(database.db);
  });
  afterAll(() => database?.drop());

  /** The one statement `work` executes. */
  async function statementOf(work: () => Promise<unknown>): Promise<{ sql: string; parameters: unknown[] }> {
    executed = [];
    await work();
    expect(executed, 'statements executed').toHaveLength(1);
    return { sql: executed[0]!.sql, parameters: [...executed[0]!.parameters] };
  }

  /** SQLite's plan for a statement, one line per step. */
  async function planOf(statement: { sql: string; parameters: unknown[] }): Promise<string[]> {
    const { rows } = await database.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${statement.sql}`, statement.parameters));
    return rows.map((r) => r.detail);
  }

  const openNear = (over: Partial<Parameters<CellRepository['openNear']>[0]> = {}) =>
    statementOf(() => cells.openNear({ ...NEAR, categoryIds: ['cat-a', 'cat-b'], since: SINCE, limit: 200, ...over }));
  const inBox = (visibility: Visibility, over: Partial<Parameters<CellRepository['inBox']>[0]> = {}) =>
    statementOf(() => cells.inBox({ visibility, ...BOX, limit: 501, ...over }));
  const clusters = (over: Partial<Parameters<CellRepository['clusters']>[0]> = {}) =>
    statementOf(() => cells.clusters({ level: 2, y0: 11961, y1: 11963, x0: 27112, x1: 27115, unitIds: ['unit-1', 'unit-2'], ...over }));

  describe('duplicate candidates (openNear)', () => {
    it('name the cells one by one, through cases_near on SQLite only', async () => {
      const s = await openNear({ excludeId: 'case-x' });
      const columns = '"cases"."id", "cases"."ref", "cases"."status", "cases"."category_id", "cases"."description", "cases"."lat", "cases"."lon", "cases"."reported_at"';
      expect(s.sql).toBe(
        pgsql
          ? `select ${columns} from "cases" where "cases"."cy" in ($1, $2) and "cases"."cx" in ($3, $4, $5) and "cases"."lat" >= $6 and "cases"."lat" <= $7 and "cases"."lon" >= $8 and "cases"."lon" <= $9 and "cases"."reported_at" >= $10 and "cases"."category_id" in ($11, $12) and "cases"."status" not in ($13, $14, $15) and "cases"."id" != $16 order by "cases"."reported_at" desc limit $17`
          : `select ${columns} from cases as cases indexed by cases_near where "cases"."cy" in (?, ?) and "cases"."cx" in (?, ?, ?) and "cases"."lat" >= ? and "cases"."lat" <= ? and "cases"."lon" >= ? and "cases"."lon" <= ? and "cases"."reported_at" >= ? and "cases"."category_id" in (?, ?) and "cases"."status" not in (?, ?, ?) and "cases"."id" != ? order by "cases"."reported_at" desc limit ?`,
      );
      expect(s.parameters).toEqual([119610, 119611, 271120, 271121, 271122, 29.6101, 29.6115, 91.1202, 91.1224, SINCE, 'cat-a', 'cat-b', 'closed', 'rejected', 'merged', 'case-x', 200]);
      if (pgsql) expect(s.sql).not.toMatch(/indexed by/i);
      else expect(s.sql).toContain('cases indexed by cases_near');
    });

    it('keep the index pinned for a single category (SQLite would otherwise read the whole category)', async () => {
      const s = await openNear({ categoryIds: ['cat-a'], y1: NEAR.y0, x1: NEAR.x0 });
      expect(s.sql).toContain(`"cases"."cy" in (${marks(dialect.name, 1, 1)}) and "cases"."cx" in (${marks(dialect.name, 2, 1)})`);
      expect(s.sql).toContain(`"cases"."category_id" in (${marks(dialect.name, 8, 1)})`);
      if (pgsql) expect(s.sql).not.toMatch(/indexed by/i);
      else expect(s.sql).toContain('from cases as cases indexed by cases_near where');
    });

    it.runIf(dialect.name === 'sqlite')('are planned as cell equalities and a latitude range inside cases_near', async () => {
      for (const over of [{}, { categoryIds: ['cat-a'] }, { categoryIds: ['cat-a'], y1: NEAR.y0, x1: NEAR.x0, excludeId: 'case-x' }]) {
        const plan = await planOf(await openNear(over));
        expect(plan[0]).toBe('SEARCH cases USING INDEX cases_near (cy=? AND cx=? AND lat>? AND lat<?)');
        expect(plan.filter((step) => step.startsWith('SEARCH') || step.startsWith('SCAN'))).toHaveLength(1);
      }
    });

    it(`send up to ${MAX_CELL_ROWS} rows and columns of cells as IN lists, ranges beyond`, async () => {
      const y0 = NEAR.y0;
      const x0 = NEAR.x0;
      const atLimit = await openNear({ y1: y0 + MAX_CELL_ROWS - 1, x1: x0 + MAX_CELL_ROWS - 1 });
      expect(atLimit.sql).toContain(
        `where "cases"."cy" in (${marks(dialect.name, 1, MAX_CELL_ROWS)}) and "cases"."cx" in (${marks(dialect.name, MAX_CELL_ROWS + 1, MAX_CELL_ROWS)}) and "cases"."lat" >= `,
      );
      expect(atLimit.parameters.slice(0, 2 * MAX_CELL_ROWS)).toEqual([...range(y0, y0 + MAX_CELL_ROWS - 1), ...range(x0, x0 + MAX_CELL_ROWS - 1)]);

      const wide = await openNear({ y1: y0 + MAX_CELL_ROWS, x1: x0 + MAX_CELL_ROWS });
      expect(wide.sql).toContain(pgsql ? 'where "cases"."cy" between $1 and $2 and "cases"."cx" between $3 and $4 and "cases"."lat" >= $5 ' : 'where "cases"."cy" between ? and ? and "cases"."cx" between ? and ? and "cases"."lat" >= ? ');
      expect(wide.parameters.slice(0, 4)).toEqual([y0, y0 + MAX_CELL_ROWS, x0, x0 + MAX_CELL_ROWS]);
      expect(wide.sql).not.toMatch(/"c[xy]" in/);
      if (pgsql) expect(wide.sql).not.toMatch(/indexed by/i);
      else expect(wide.sql).toContain('from cases as cases indexed by cases_near where');
    });
  });

  describe("the map's points (inBox)", () => {
    const tail = (first: number) =>
      pgsql
        ? `"cases"."cx" >= $${first} and "cases"."cx" <= $${first + 1} and "cases"."lat" >= $${first + 2} and "cases"."lat" <= $${first + 3} and "cases"."lon" >= $${first + 4} and "cases"."lon" <= $${first + 5}`
        : '"cases"."cx" >= ? and "cases"."cx" <= ? and "cases"."lat" >= ? and "cases"."lat" <= ? and "cases"."lon" >= ? and "cases"."lon" <= ?';
    const boxParameters = [BOX.x0, BOX.x1, BOX.minLat, BOX.maxLat, BOX.minLon, BOX.maxLon];

    it("read a whole view's rows of cells through cases_cell on SQLite only", async () => {
      const s = await inBox({ kind: 'all' });
      expect(s.sql).toBe(
        pgsql
          ? `select "cases".* from "cases" where "cases"."cy" in ($1, $2, $3) and ${tail(4)} and 1 = 1 order by "cases"."reported_at" desc limit $10`
          : `select "cases".* from cases as cases indexed by cases_cell where "cases"."cy" in (?, ?, ?) and ${tail(4)} and 1 = 1 order by "cases"."reported_at" desc limit ?`,
      );
      expect(s.parameters).toEqual([119610, 119611, 119612, ...boxParameters, 501]);
    });

    it("read a jurisdiction's view (filtered) through cases_cell on SQLite only", async () => {
      const s = await inBox({ kind: 'jurisdiction', path: '/540100/540102' }, { status: ['dispatched', 'signed'], categoryId: 'cat-a' });
      const unit = (column: string, a: string, b: string) =>
        `exists (select "j"."id" from "jurisdictions" as "j" where "j"."id" = "cases"."${column}" and ("j"."path" = ${a} or "j"."path" like ${b}))`;
      expect(s.sql).toBe(
        pgsql
          ? `select "cases".* from "cases" where "cases"."cy" in ($1, $2, $3) and ${tail(4)} and (${unit('jurisdiction_id', '$10', '$11')} or ${unit('origin_jurisdiction_id', '$12', '$13')}) and "cases"."status" in ($14, $15) and "cases"."category_id" = $16 order by "cases"."reported_at" desc limit $17`
          : `select "cases".* from cases as cases indexed by cases_cell where "cases"."cy" in (?, ?, ?) and ${tail(4)} and (${unit('jurisdiction_id', '?', '?')} or ${unit('origin_jurisdiction_id', '?', '?')}) and "cases"."status" in (?, ?) and "cases"."category_id" = ? order by "cases"."reported_at" desc limit ?`,
      );
      expect(s.parameters).toEqual([119610, 119611, 119612, ...boxParameters, '/540100/540102', '/540100/540102/%', '/540100/540102', '/540100/540102/%', 'dispatched', 'signed', 'cat-a', 501]);
    });

    it("leave a reporter's or a department's own cases to the planner (their own indexes), with the same cy list", async () => {
      const visibilities: Visibility[] = [
        { kind: 'reporter', reporterId: 'user-r' },
        { kind: 'department', departmentId: 'dept-1', foodSafetyPath: '/540100' },
      ];
      for (const visibility of visibilities) {
        const s = await inBox(visibility);
        expect(s.sql.startsWith(`select "cases".* from "cases" where "cases"."cy" in (${marks(dialect.name, 1, 3)}) and ${tail(4)} and `), s.sql).toBe(true);
        expect(s.sql).not.toMatch(/indexed by/i);
      }
    });

    it.runIf(dialect.name === 'sqlite')('are planned as one cases_cell seek per row of cells', async () => {
      for (const visibility of [{ kind: 'all' }, { kind: 'jurisdiction', path: '/540100' }] as Visibility[]) {
        const plan = await planOf(await inBox(visibility, { status: ['reported'], categoryId: 'cat-a' }));
        expect(plan[0]).toBe('SEARCH cases USING INDEX cases_cell (cy=? AND cx>? AND cx<?)');
      }
    });

    it(`send up to ${MAX_CELL_ROWS} rows of cells as an IN list, a range beyond`, async () => {
      const atLimit = await inBox({ kind: 'all' }, { y1: BOX.y0 + MAX_CELL_ROWS - 1 });
      expect(atLimit.sql).toContain(`where "cases"."cy" in (${marks(dialect.name, 1, MAX_CELL_ROWS)}) and ${tail(MAX_CELL_ROWS + 1)} and 1 = 1`);
      expect(atLimit.parameters.slice(0, MAX_CELL_ROWS)).toEqual(range(BOX.y0, BOX.y0 + MAX_CELL_ROWS - 1));

      const wide = await inBox({ kind: 'all' }, { y1: BOX.y0 + MAX_CELL_ROWS });
      expect(wide.sql).toBe(
        pgsql
          ? `select "cases".* from "cases" where "cases"."cy" between $1 and $2 and ${tail(3)} and 1 = 1 order by "cases"."reported_at" desc limit $9`
          : `select "cases".* from cases as cases indexed by cases_cell where "cases"."cy" between ? and ? and ${tail(3)} and 1 = 1 order by "cases"."reported_at" desc limit ?`,
      );
      expect(wide.parameters).toEqual([BOX.y0, BOX.y0 + MAX_CELL_ROWS, ...boxParameters, 501]);
      if (!pgsql) expect((await planOf(wide))[0]).toBe('SEARCH cases USING INDEX cases_cell (cy>? AND cy<?)');
    });
  });

  describe('clusters', () => {
    const head = 'select "cy", "cx", sum("n") as "n", sum("sum_lat") as "sum_lat", sum("sum_lon") as "sum_lon" from "case_cells"';

    it("name a view's rows of cells in a cy list, on both dialects alike", async () => {
      const s = await clusters({ status: ['reported', 'accepted'], categoryId: 'cat-a' });
      expect(s.sql).toBe(
        pgsql
          ? `${head} where "level" = $1 and "cy" in ($2, $3, $4) and "cx" >= $5 and "cx" <= $6 and ("unit_id" in ($7, $8) or "origin_unit_id" in ($9, $10)) and "status" in ($11, $12) and "category_id" = $13 group by "cy", "cx"`
          : `${head} where "level" = ? and "cy" in (?, ?, ?) and "cx" >= ? and "cx" <= ? and ("unit_id" in (?, ?) or "origin_unit_id" in (?, ?)) and "status" in (?, ?) and "category_id" = ? group by "cy", "cx"`,
      );
      expect(s.parameters).toEqual([2, 11961, 11962, 11963, 27112, 27115, 'unit-1', 'unit-2', 'unit-1', 'unit-2', 'reported', 'accepted', 'cat-a']);
      expect(s.sql).not.toMatch(/indexed by/i);
    });

    it.runIf(dialect.name === 'sqlite')('are planned as one covering seek per row of cells', async () => {
      const plan = await planOf(await clusters({ unitIds: null }));
      expect(plan[0]).toBe('SEARCH case_cells USING COVERING INDEX case_cells_by_cell (level=? AND cy=? AND cx>? AND cx<?)');
    });

    it(`send up to ${MAX_CELL_ROWS} rows of cells as an IN list, a range beyond`, async () => {
      const atLimit = await clusters({ level: 3, y0: 119000, y1: 119000 + MAX_CELL_ROWS - 1, unitIds: null });
      expect(atLimit.sql).toBe(`${head} where "level" = ${marks(dialect.name, 1, 1)} and "cy" in (${marks(dialect.name, 2, MAX_CELL_ROWS)}) and "cx" >= ${marks(dialect.name, MAX_CELL_ROWS + 2, 1)} and "cx" <= ${marks(dialect.name, MAX_CELL_ROWS + 3, 1)} group by "cy", "cx"`);

      const wide = await clusters({ level: 3, y0: 119000, y1: 119000 + MAX_CELL_ROWS, unitIds: null });
      expect(wide.sql).toBe(
        pgsql ? `${head} where "level" = $1 and "cy" between $2 and $3 and "cx" >= $4 and "cx" <= $5 group by "cy", "cx"` : `${head} where "level" = ? and "cy" between ? and ? and "cx" >= ? and "cx" <= ? group by "cy", "cx"`,
      );
      expect(wide.parameters).toEqual([3, 119000, 119000 + MAX_CELL_ROWS, 27112, 27115]);
    });
  });
});
