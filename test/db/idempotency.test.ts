// Patchy mobile signal: the app retries with the same Idempotency-Key. A retry returns the first result and
// never stores a second case or a second event, even when the retries race each other.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db.js';
import { act, countCases, countEvents, domainError, events, record, reportInput } from '../support/cases.js';
import { buildWorld, type World } from '../support/world.js';

describe.each(DIALECTS)('idempotent reports and actions ($name)', (dialect) => {
  let world: World;

  beforeAll(async () => {
    world = await buildWorld(dialect);
  });
  afterAll(() => world?.close());

  const reportWithKey = async (username: string, key: string, input: Awaited<ReturnType<typeof reportInput>>) =>
    world.services.reports.report(await world.as(username), input, key);

  it('returns the same case for the same key and input, and creates one case', async () => {
    const input = await reportInput(world, 'solang');
    const before = await countCases(world.database);
    const first = await reportWithKey('solang', 'solang-retry-1', input);
    expect(first.replayed).toBe(false);
    const again = await reportWithKey('solang', 'solang-retry-1', structuredClone(input));
    expect(again).toEqual({ caseId: first.caseId, replayed: true });
    world.clock.advance(5);
    const later = await reportWithKey('solang', 'solang-retry-1', input);
    expect(later).toEqual({ caseId: first.caseId, replayed: true });
    expect(await countCases(world.database)).toBe(before + 1);
    expect(await countEvents(world.database, first.caseId)).toBe(1);
  });

  it('refuses the same key with a different input', async () => {
    const input = await reportInput(world, 'solang');
    const { caseId } = await reportWithKey('solang', 'solang-retry-2', input);
    const before = await countCases(world.database);
    await domainError(reportWithKey('solang', 'solang-retry-2', { ...input, description: '井盖没了' }), 'idempotency_key_reused', 'conflict');
    await domainError(reportWithKey('solang', 'solang-retry-2', { ...input, lat: input.lat + 0.0001 }), 'idempotency_key_reused', 'conflict');
    expect(await countCases(world.database)).toBe(before);
    expect((await record(world, caseId)).description).toBe(input.description);
  });

  it('keeps keys per reporter: the same key from another rider is a new report', async () => {
    const mine = await reportWithKey('solang', 'shared-key', await reportInput(world, 'solang'));
    const theirs = await reportWithKey('tenzin', 'shared-key', await reportInput(world, 'tenzin'));
    expect(theirs.replayed).toBe(false);
    expect(theirs.caseId).not.toBe(mine.caseId);
  });

  it('makes one case of concurrent retries with the same key', async () => {
    const input = await reportInput(world, 'tenzin');
    const before = await countCases(world.database);
    const results = await Promise.all([1, 2, 3, 4].map(() => reportWithKey('tenzin', 'tenzin-race', structuredClone(input))));
    expect(new Set(results.map((r) => r.caseId)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await countCases(world.database)).toBe(before + 1);
    expect(await countEvents(world.database, results[0]!.caseId)).toBe(1);
    // The refused attempts left no orphan clocks behind.
    const orphans = await world.database.db
      .selectFrom('case_clocks')
      .select('case_clocks.id')
      .leftJoin('cases', 'cases.id', 'case_clocks.case_id')
      .where('cases.id', 'is', null)
      .execute();
    expect(orphans).toEqual([]);
  });

  it('gives concurrent reports without keys distinct, consecutive references', async () => {
    const inputs = await Promise.all([1, 2, 3, 4, 5].map(() => reportInput(world, 'solang')));
    const principal = await world.as('solang');
    const results = await Promise.all(inputs.map((input) => world.services.reports.report(principal, input)));
    const refs = await Promise.all(results.map(async (r) => (await record(world, r.caseId)).ref));
    expect(new Set(refs).size).toBe(5);
    const numbers = refs.map((ref) => Number(ref.split('-')[1])).sort((a, b) => a - b);
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0]! + i));
  });

  it('replays an action taken twice with the same key and adds one event', async () => {
    const caseId = await world.report('solang');
    const first = await act(world, 'dispatcher', caseId, 'accept', { note: '受理' }, 'accept-once');
    expect(first).toEqual({ replayed: false });
    const second = await act(world, 'dispatcher', caseId, 'accept', { note: '受理' }, 'accept-once');
    expect(second).toEqual({ replayed: true });
    const list = await events(world, caseId);
    expect(list.map((e) => e.action)).toEqual(['report', 'accept']);
    expect((await record(world, caseId)).status).toBe('accepted');
  });

  it('refuses an action key reused for a different action or case', async () => {
    const caseId = await world.report('solang');
    const other = await world.report('tenzin');
    await act(world, 'dispatcher', caseId, 'accept', {}, 'dispatcher-key-1');
    await domainError(act(world, 'dispatcher', caseId, 'file', {}, 'dispatcher-key-1'), 'idempotency_key_reused', 'conflict');
    await domainError(act(world, 'dispatcher', other, 'accept', {}, 'dispatcher-key-1'), 'idempotency_key_reused', 'conflict');
    expect((await record(world, other)).status).toBe('reported');
    expect(await countEvents(world.database, caseId)).toBe(2);
  });

  it('replays, rather than refuses, a concurrent retry of the same action with the same key', async () => {
    const caseId = await world.report('solang');
    const principal = await world.as('dispatcher');
    const results = await Promise.allSettled([1, 2].map(() => world.services.actions.act(principal, caseId, 'accept', {}, 'accept-race')));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as { code?: string }).code ?? r.reason)] : []));
    expect(refused, 'the losing retry was refused').toEqual([]);
    const values = results.map((r) => (r.status === 'fulfilled' ? r.value.replayed : null)).sort();
    expect(values).toEqual([false, true]);
    expect((await events(world, caseId)).map((e) => e.action)).toEqual(['report', 'accept']);
  });
});
