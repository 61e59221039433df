// Small helpers for database tests of cases: acting as a named user, reading events and clocks straight
// from the tables, and checking that a case's event chain hangs together.

import { SelectQueryNode, TableNode, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import { expect } from 'vitest';
import { DomainError, type ErrorKind } from '../../src/domain/errors.js';
import type { CaseStatus } from '../../src/domain/types.js';
import type { Action, ActionInput } from '../../src/domain/workflow.js';
import type { ClockSnapshot } from '../../src/domain/deadlines.js';
import type { CaseRecord, ClockRow, EventRecord } from '../../src/domain/records.js';
import type { CaseEventTable } from '../../src/storage/schema.js';
import type { Database } from '../../src/storage/db.js';
import type { ReportInput } from '../../src/services/cases/report.js';
import type { World } from './world.js';
import { isStaffView, type CaseView, type ReporterCaseView } from '../../src/services/case.views.js';

/** A case as staff see it (the test fails when the reader got a reporter's view instead). */
export function staff(view: CaseView | ReporterCaseView): CaseView {
  if (!isStaffView(view)) throw new Error(`expected the staff view of case ${view.id}, got the reporter's view`);
  return view;
}

/** A case as a named user of the world reads it through the service, staff view expected. */
export const staffView = async (world: World, username: string, caseId: string): Promise<CaseView> =>
  staff(await world.services.caseQueries.get(await world.as(username), caseId, 'zh-CN'));

export const MINUTE = 60_000;

/** An ISO time `minutes` after `iso`. */
export const plus = (iso: string | Date, minutes: number): string => new Date(new Date(iso).getTime() + minutes * MINUTE).toISOString();

/** Take an action as a named user of the world. */
export async function act(world: World, username: string, caseId: string, action: Action, input: ActionInput = {}, idempotencyKey?: string) {
  return world.services.actions.act(await world.as(username), caseId, action, input, idempotencyKey);
}

/** Work a reported case up to `handling` by the municipal works department (accept, file, dispatch, sign, start). */
export async function toHandling(world: World, caseId: string): Promise<void> {
  await act(world, 'dispatcher', caseId, 'accept');
  await act(world, 'dispatcher', caseId, 'file');
  await act(world, 'dispatcher', caseId, 'dispatch', { departmentId: world.department('nj-municipal').id });
  await act(world, 'municipal', caseId, 'sign');
  await act(world, 'municipal', caseId, 'start');
}

/** Move the world's clock by `minutes`, then act. */
export async function actAfter(world: World, minutes: number, username: string, caseId: string, action: Action, input: ActionInput = {}) {
  world.clock.advance(minutes);
  return act(world, username, caseId, action, input);
}

/** The error a promise rejects with, which must be a DomainError with this code (and kind, when given). */
export async function domainError(promise: Promise<unknown>, code: string, kind?: ErrorKind): Promise<DomainError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected DomainError ${code}, but the call succeeded`).toBeDefined();
  expect(caught, `expected DomainError ${code}, got ${String(caught)}`).toBeInstanceOf(DomainError);
  const error = caught as DomainError;
  expect(error.code).toBe(code);
  if (kind) expect(error.kind).toBe(kind);
  return error;
}

export const record = async (world: World, caseId: string): Promise<CaseRecord> => {
  const found = await world.services.ctx.uow.autocommit.cases.find(caseId);
  if (!found) throw new Error(`no case ${caseId}`);
  return found;
};

export const events = (world: World, caseId: string): Promise<EventRecord[]> => world.services.ctx.uow.autocommit.events.events(caseId);

export const clocks = (world: World, caseId: string): Promise<ClockRow[]> => world.services.ctx.uow.autocommit.clocks.clocks(caseId);

/** The one clock of a stage and round (round: the latest when not given). */
export async function clock(world: World, caseId: string, stage: ClockRow['stage'], round?: number): Promise<ClockRow> {
  const all = (await clocks(world, caseId)).filter((c) => c.stage === stage);
  const found = round === undefined ? all.sort((a, b) => b.round - a.round)[0] : all.find((c) => c.round === round);
  if (!found) throw new Error(`case ${caseId} has no ${stage} clock${round === undefined ? '' : ` round ${round}`}`);
  return found;
}

/** The raw event rows of a case, exactly as stored. */
export function eventRows(database: Database, caseId: string): Promise<CaseEventTable[]> {
  return database.db.selectFrom('case_events').selectAll().where('case_id', '=', caseId).orderBy('seq').execute();
}

/** An event's clock snapshot, typed. */
export const snapshotOf = (event: EventRecord): ClockSnapshot[] => event.clocks as ClockSnapshot[];

/**
 * The event chain of a case hangs together: seq 1..n without gaps, the first event reports it, each
 * event starts where the previous one ended, and the last one ends in the case's status.
 */
export function expectConsistentChain(list: { seq: number; action: string; fromStatus: string | null; toStatus: string }[], status: CaseStatus, label = ''): void {
  expect(list.length, `${label} has events`).toBeGreaterThan(0);
  expect(
    list.map((e) => e.seq),
    `${label} seq`,
  ).toEqual(list.map((_, i) => i + 1));
  expect(list[0]!.action, `${label} first event`).toBe('report');
  expect(list[0]!.fromStatus, `${label} first event from`).toBeNull();
  for (let i = 1; i < list.length; i++) {
    expect(list[i]!.fromStatus, `${label} event ${list[i]!.seq} (${list[i]!.action}) starts where ${list[i - 1]!.action} ended`).toBe(list[i - 1]!.toStatus);
  }
  expect(list.at(-1)!.toStatus, `${label} last event ends in the case status`).toBe(status);
}

/** Users' ids by name, for comparing with stored actor ids. */
export const userId = (world: World, username: string): string => {
  const user = world.users.get(username);
  if (!user) throw new Error(`no user ${username}`);
  return user.id;
};

/** How many cases the database holds. */
export async function countCases(database: Database): Promise<number> {
  const row = await database.db.selectFrom('cases').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** How many events the database holds for a case. */
export async function countEvents(database: Database, caseId: string): Promise<number> {
  const row = await database.db.selectFrom('case_events').select((eb) => eb.fn.countAll<number>().as('n')).where('case_id', '=', caseId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A complete report input for a rider, with a fresh photo of theirs unless media are given. */
export async function reportInput(world: World, username: string, overrides: Partial<ReportInput> = {}): Promise<ReportInput> {
  return {
    categoryId: world.category('01-003').id,
    description: '井盖破了一个大洞',
    lat: world.najinPoint.lat,
    lon: world.najinPoint.lon,
    media: overrides.media ?? [await world.photo(username)],
    ...overrides,
  };
}

/**
 * A Kysely plugin that holds the result of the next SELECT from one table until released, so a test can
 * make another transaction commit in between (deterministic interleaving on PostgreSQL). Use it through
 * `database.db.withPlugin(gate)`.
 */
export class ReadGate implements KyselyPlugin {
  private readonly held = new WeakSet<object>();
  private armed = false;
  private reached: () => void = () => {};
  private released: Promise<void> = Promise.resolve();
  private release: () => void = () => {};

  constructor(private readonly table: string) {}

  /** Hold the next read of the table; resolves once a read is being held. */
  arm(): Promise<void> {
    this.armed = true;
    this.released = new Promise<void>((resolve) => (this.release = resolve));
    return new Promise<void>((resolve) => (this.reached = resolve));
  }

  /** Let the held read go on. */
  open(): void {
    this.release();
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const node = args.node;
    if (this.armed && SelectQueryNode.is(node) && node.from?.froms.some((f) => TableNode.is(f) && f.table.identifier.name === this.table)) {
      this.armed = false;
      this.held.add(args.queryId);
    }
    return node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.held.has(args.queryId)) {
      this.reached();
      await this.released;
    }
    return args.result;
  }
}
