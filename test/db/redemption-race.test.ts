// Redemptions under concurrency (issue 11, item 4): many requests fired at once from several connections to
// one database never take a balance below zero, and a redemption is never paid twice; the ledger's sum equals
// the balance after. PostgreSQL: connections (pools) of this process. SQLite: connections to one file, each
// in a worker thread of its own (test/support/redeem-worker.ts), since better-sqlite3's connections in one
// thread would wait on each other synchronously.

import { mkdtempSync, rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServices, type WiredServices } from '../../src/compose.js';
import { DomainError } from '../../src/domain/errors.js';
import { newId } from '../../src/domain/ids.js';
import { ManualClock } from '../../src/ports.js';
import { seedReference } from '../../src/seed/demo.js';
import { NAJIN_CODE } from '../../src/seed/najin-data.js';
import type { Principal } from '../../src/services/context.js';
import { connect, type Database } from '../../src/storage/db.js';
import { DIALECTS, freshDatabase, type DialectUnderTest, type TestDatabase } from '../support/db.js';
import { MemoryMediaStore } from '../support/world.js';

const CONNECTIONS = 4;
const REQUESTS_EACH = 4;

describe.each(DIALECTS)('redemptions under concurrency ($name)', (dialect) => {
  let dir: string | undefined;
  let database: TestDatabase;
  let extra: Database[] = [];
  let all: WiredServices[];
  let rider: (s: WiredServices) => Promise<Principal>;
  let supervisor: (s: WiredServices) => Promise<Principal>;
  let memberId: string;
  const clock = new ManualClock('2025-05-07T05:00:00.000Z');

  beforeAll(async () => {
    // SQLite: a file several connections open (":memory:" is one connection's own).
    let under: DialectUnderTest = dialect;
    if (dialect.name === 'sqlite') {
      dir = mkdtempSync(path.join(tmpdir(), 'gridline-race-'));
      under = { name: 'sqlite', url: path.join(dir, 'race.db') };
    }
    database = await freshDatabase(under);
    await seedReference(database, clock.now().toISOString());
    // PostgreSQL: more connections here; SQLite: the workers open theirs.
    extra = dialect.name === 'sqlite' ? [] : Array.from({ length: CONNECTIONS - 1 }, () => connect(under.url, { schema: database.postgres!.schema, poolSize: 3 }));
    all = [database, ...extra].map((db) => buildServices(db, { clock, mediaStore: new MemoryMediaStore() }));
    const [first] = all as [WiredServices];
    const units = await first.ctx.uow.autocommit.reference.jurisdictions();
    const najin = units.find((u) => u.code === NAJIN_CODE)!;
    const solang = await first.auth.addUser({ username: 'solang', password: 'race-test-pass', displayName: '索朗', role: 'reporter', phone: '13812345678', jurisdictionId: najin.id });
    const boss = await first.auth.addUser({ username: 'supervisor', password: 'race-test-pass', displayName: '次仁央宗', role: 'supervisor', jurisdictionId: najin.id });
    rider = (s) => s.ctx.principal(solang);
    supervisor = (s) => s.ctx.principal(boss);
    const staff = await supervisor(first);
    await first.members.apply({ name: '索朗', phone: '13812345678', workerType: 'rider', platform: 'meituan', jurisdictionId: najin.id });
    memberId = (await first.ctx.uow.autocommit.members.liveMemberByPhone('13812345678'))!.id;
    await first.members.act(staff, memberId, 'recommend', { recommender: '站长' });
    await first.members.act(staff, memberId, 'approve', {});
    await first.members.act(staff, memberId, 'appoint', { appointedOn: '2025-05-01', userId: solang.id });
    // 25 points, as five level-1 awards would leave them (entries and balance together).
    await first.ctx.transaction(async (repos) => {
      for (let i = 0; i < 5; i++) {
        await repos.points.insertEntry({ id: newId(), memberId, kind: 'award', points: 5, caseId: null, round: 1, level: 1, ruleVersion: 1, redemptionId: null, note: 'race setup', actorId: null, at: clock.now().toISOString() });
        await repos.points.credit(memberId, 5);
      }
    });
  }, 60_000);

  afterAll(async () => {
    for (const db of extra) await db.close();
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const outcome = (r: PromiseSettledResult<unknown>) => (r.status === 'fulfilled' ? 'ok' : r.reason instanceof DomainError ? r.reason.code : String(r.reason));

  type Op = { op: 'redeem'; points: number } | { op: 'pay' | 'reject'; redemptionId: string };
  /** Fire `count` operations from each of the connections at once, as `who`; answers every outcome. */
  async function fire(who: 'rider' | 'supervisor', op: Op, count: number): Promise<string[]> {
    if (dialect.name === 'postgres') {
      const principals = await Promise.all(all.map((s) => (who === 'rider' ? rider(s) : supervisor(s))));
      const runs = all.flatMap((s, i) =>
        Array.from({ length: count }, (_, n) =>
          op.op === 'redeem' ? s.points.requestRedemption(principals[i]!, op.points) : op.op === 'pay' ? s.points.payRedemption(principals[i]!, op.redemptionId, `TX-${i}-${n}`) : s.points.rejectRedemption(principals[i]!, op.redemptionId, '信息核对不一致'),
        ),
      );
      return (await Promise.allSettled(runs)).map(outcome);
    }
    const userId = (await (who === 'rider' ? rider(all[0]!) : supervisor(all[0]!))).user.id;
    const workers = Array.from({ length: CONNECTIONS }, (_, i) => new Worker(new URL('../support/redeem-worker.mjs', import.meta.url), { workerData: { file: path.join(dir!, 'race.db'), mediaDir: path.join(dir!, 'media'), at: clock.now().toISOString(), userId, count, tag: String(i), ...op } }));
    const message = (w: Worker) => new Promise<unknown>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    await Promise.all(workers.map(message)); // every one ready
    const results = workers.map(message);
    for (const w of workers) w.postMessage('go');
    const outcomes = (await Promise.all(results)) as string[][];
    await Promise.all(workers.map((w) => w.terminate()));
    return outcomes.flat();
  }

  it(`lets ${CONNECTIONS * REQUESTS_EACH} requests of 10 points at once, from ${CONNECTIONS} connections, take no more than 25 points: two succeed`, async () => {
    const outcomes = await fire('rider', { op: 'redeem', points: 10 }, REQUESTS_EACH);
    expect(outcomes).toHaveLength(CONNECTIONS * REQUESTS_EACH);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(2);
    expect(outcomes.filter((o) => o !== 'ok').every((o) => o === 'insufficient_points'), outcomes.join(', ')).toBe(true);
    const repos = all[0]!.ctx.uow.autocommit;
    expect(await repos.points.balance(memberId)).toBe(5);
    expect(await repos.points.ledgerSum(memberId)).toBe(5);
    expect(await repos.points.heldPoints(memberId)).toBe(20);
    expect(await repos.points.redemptions({ memberId, limit: 100 })).toHaveLength(2);
  });

  it('pays a redemption once, however many finance clerks press pay at the same moment; a rejected one is never paid', async () => {
    const first = all[0]!;
    const [paid, rejected] = await first.ctx.uow.autocommit.points.redemptions({ memberId, limit: 10 });
    await first.points.approveRedemption(await supervisor(first), paid!.id);
    const outcomes = await fire('supervisor', { op: 'pay', redemptionId: paid!.id }, 2);
    expect(outcomes).toHaveLength(CONNECTIONS * 2);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'ok').every((o) => o === 'pay_not_allowed_when_paid'), outcomes.join(', ')).toBe(true);
    const after = (await first.ctx.uow.autocommit.points.redemption(paid!.id))!;
    expect(after.status).toBe('paid');
    expect(after.payoutRef).toMatch(/^TX-\d-\d$/);

    // Rejected at once from every connection: released once; then it cannot be paid.
    const rejections = await fire('supervisor', { op: 'reject', redemptionId: rejected!.id }, 1);
    expect(rejections.filter((o) => o === 'ok')).toHaveLength(1);
    expect(rejections.filter((o) => o !== 'ok').every((o) => o === 'reject_not_allowed_when_rejected'), rejections.join(', ')).toBe(true);
    await expect(first.points.payRedemption(await supervisor(first), rejected!.id, 'TX-late')).rejects.toMatchObject({ code: 'pay_not_allowed_when_rejected' });
    const repos = first.ctx.uow.autocommit;
    expect(await repos.points.balance(memberId)).toBe(15);
    expect(await repos.points.ledgerSum(memberId)).toBe(15);
    expect(await repos.points.heldPoints(memberId)).toBe(0);
  });
});
