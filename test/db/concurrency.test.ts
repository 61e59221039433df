// Two people acting on one case at the same moment: exactly one wins, the other is told the case changed
// (or that the step is no longer possible), and the event chain stays whole.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import type { Action, ActionInput } from '../../src/domain/workflow.js';
import { buildServices } from '../../src/compose.js';
import { DIALECTS } from '../support/db.js';
import { ReadGate, act, events, expectConsistentChain, plus, record } from '../support/cases.js';
import { MemoryMediaStore, buildWorld, type World } from '../support/world.js';

describe.each(DIALECTS)('concurrent actions on one case ($name)', (dialect) => {
  let world: World;

  beforeAll(async () => {
    world = await buildWorld(dialect);
  });
  afterAll(() => world?.close());

  const outcome = (error: unknown) => (error instanceof DomainError ? `${error.kind} ${error.code}` : String(error));

  /** Run the attempts at once; returns who won and the errors of the others. */
  const race = async (caseId: string, attempts: [username: string, action: Action, input?: ActionInput][]) => {
    const principals = await Promise.all(attempts.map(([username]) => world.as(username)));
    const settled = await Promise.allSettled(attempts.map(([, action, input], i) => world.services.actions.act(principals[i]!, caseId, action, input ?? {})));
    const won = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [attempts[i]!] : []));
    const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    return { won, errors };
  };

  it('lets exactly one of two dispatchers accept a reported case', async () => {
    for (let round = 0; round < 6; round++) {
      const caseId = await world.report(round % 2 ? 'solang' : 'tenzin');
      const { won, errors } = await race(caseId, [
        ['dispatcher', 'accept'],
        ['supervisor', 'accept'],
      ]);
      expect(won, `round ${round}`).toHaveLength(1);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(DomainError);
      expect(outcome(errors[0]), `round ${round}`).toMatch(/^conflict (accept_not_allowed_when_accepted|case_changed)$/);
      const list = await events(world, caseId);
      expect(list.filter((e) => e.action === 'accept')).toHaveLength(1);
      expect(list.find((e) => e.action === 'accept')?.actorId).toBe(world.users.get(won[0]![0])!.id);
      expectConsistentChain(list, 'accepted', `round ${round}`);
      const accept = (await world.services.ctx.uow.autocommit.clocks.clocks(caseId)).filter((k) => k.stage === 'accept');
      expect(accept).toHaveLength(1);
      expect(accept[0]!.outcome).toBe('met');
    }
  });

  // PostgreSQL only: SQLite runs one transaction at a time, so another cannot commit in the middle of one.
  it.runIf(dialect.name === 'postgres')('tells the slower of two dispatchers that the case changed when the other commits between its reads', async () => {
    const caseId = await world.report('solang');
    const gate = new ReadGate('cases');
    const slow = buildServices({ ...world.database, db: world.database.db.withPlugin(gate) }, { clock: world.clock, mediaStore: new MemoryMediaStore() });
    const holding = gate.arm();
    // The supervisor's action reads the case, and is held right after that read...
    const slower = world.services.ctx.principal(world.users.get('supervisor')!).then((p) => slow.actions.act(p, caseId, 'accept', {}));
    const settled = slower.then(
      () => 'accepted',
      (error: unknown) => outcome(error),
    );
    await holding;
    // ...while the dispatcher accepts the case and commits.
    await act(world, 'dispatcher', caseId, 'accept');
    gate.open();
    expect(await settled).toMatch(/^conflict (accept_not_allowed_when_accepted|case_changed)$/);
    const list = await events(world, caseId);
    expect(list.map((e) => e.action)).toEqual(['report', 'accept']);
    expect(list[1]!.actorId).toBe(world.users.get('dispatcher')!.id);
  });

  it('lets one of a rejection and an acceptance happen, never both', async () => {
    for (let round = 0; round < 4; round++) {
      const caseId = await world.report('solang');
      const { won, errors } = await race(caseId, [
        ['dispatcher', 'reject', { reason: '重复上报' }],
        ['supervisor', 'accept'],
      ]);
      expect(won).toHaveLength(1);
      expect(outcome(errors[0]), `round ${round}`).toMatch(/^conflict /);
      const c = await record(world, caseId);
      expect(c.status).toBe(won[0]![1] === 'reject' ? 'rejected' : 'accepted');
      const list = await events(world, caseId);
      expect(list.map((e) => e.action)).toEqual(['report', won[0]![1]]);
      expectConsistentChain(list, c.status);
    }
  });

  it('lets one of two departments act first on a dispatched case (sign and return at once)', async () => {
    for (let round = 0; round < 4; round++) {
      const caseId = await world.report('tenzin');
      await act(world, 'dispatcher', caseId, 'accept');
      await act(world, 'dispatcher', caseId, 'file');
      await act(world, 'dispatcher', caseId, 'dispatch');
      const { won } = await race(caseId, [
        ['municipal', 'sign'],
        ['municipal', 'return', { reason: '不归我们' }],
      ]);
      // Either the sign won (and the return may still follow, from signed), or the return won and the sign is refused.
      expect(won.length).toBeGreaterThanOrEqual(1);
      const list = await events(world, caseId);
      expectConsistentChain(list, (await record(world, caseId)).status, `round ${round}`);
      expect(new Set(list.map((e) => e.seq)).size).toBe(list.length);
    }
  });

  it('keeps the chain whole when a deadline sweep runs while people act', async () => {
    const start = '2025-05-20T02:00:00.000Z';
    world.clock.set(start);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await world.report('solang', { urgency: 'emergency' }));
    // Every accept clock (5 min) has its reminder due and every dispatch clock is close to its own.
    world.clock.set(plus(start, 4));
    const principal = await world.as('dispatcher');
    const results = await Promise.allSettled([world.services.sweep.run(), ...ids.map((id) => world.services.actions.act(principal, id, 'accept', {}))]);
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as { code?: string; message?: string }).code ?? (r.reason as Error).message)] : []));
    expect(failures).toEqual([]);
    for (const id of ids) {
      const list = await events(world, id);
      expectConsistentChain(list, 'accepted', `case ${id}`);
      expect(list.filter((e) => e.action === 'accept')).toHaveLength(1);
    }
  });
});
