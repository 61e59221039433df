// The rider hears every step of a report in their inbox, written by the fan-out from the outbox in the
// transaction that empties it: each step once, in order, in the rider's language, and never news of their
// own action; staff subscribed by inbox hear what their subscription names, and only cases they may see.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainError } from '../../src/domain/errors.js';
import { NAJIN_CODE } from '../../src/seed/najin-data.js';
import { DIALECTS } from '../support/db.js';
import { act, toHandling } from '../support/cases.js';
import { buildWorld, type World } from '../support/world.js';

describe.each(DIALECTS)('the inbox ($name)', (dialect) => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld(dialect);
  });
  afterAll(() => world?.close());

  const inbox = async (username: string) => (await world.services.notify.inbox(await world.as(username), { limit: 100 })).items.reverse();
  const drain = () => world.services.notifyWorker.drain();
  const outbox = () => world.services.ctx.uow.autocommit.notify.outboxSize();

  it('writes one outbox entry per event with the event, and the fan-out empties it once', async () => {
    const before = await outbox();
    const id = await world.report('solang');
    expect(await outbox()).toBe(before + 1);
    await drain();
    expect(await outbox()).toBe(0);
    const first = await inbox('solang');
    await drain();
    expect(await inbox('solang')).toEqual(first);
    expect(first.filter((m) => m.caseId === id).map((m) => m.kind)).toEqual(['receipt']);
  });

  it('tells the rider of every step in order: receipt, accepted, dispatched (to whom), resolved, closed, rate request', async () => {
    const id = await world.report('tenzin');
    await drain();
    await toHandling(world, id);
    await drain();
    await act(world, 'municipal', id, 'resolve', { note: '已更换井盖', media: [await world.photo('municipal')] });
    await act(world, 'dispatcher', id, 'verify');
    await act(world, 'dispatcher', id, 'close', { closureType: 'fixed' });
    await drain();
    const mine = (await inbox('tenzin')).filter((m) => m.caseId === id);
    expect(mine.map((m) => m.kind)).toEqual(['receipt', 'accepted', 'dispatched', 'resolved', 'closed', 'rate_request']);
    const dispatched = mine.find((m) => m.kind === 'dispatched')!;
    expect(dispatched.title).toContain('市政');
    expect(mine.find((m) => m.kind === 'resolved')!.data.afterMedia).toHaveLength(1);
    expect(mine.every((m) => m.link?.endsWith(`/rider/#/reports/${id}`))).toBe(true);
    // Rating is the rider's own action: no message about it to the rider.
    await act(world, 'tenzin', id, 'rate', { score: 5 });
    await drain();
    expect((await inbox('tenzin')).filter((m) => m.caseId === id)).toHaveLength(6);
  });

  it('gives the reason of a rejection, and counts and marks unread messages', async () => {
    const id = await world.report('solang');
    await act(world, 'dispatcher', id, 'reject', { reason: '非本辖区问题' });
    await drain();
    const page = await world.services.notify.inbox(await world.as('solang'), { limit: 1 });
    expect(page.items[0]!.kind).toBe('rejected');
    expect(page.items[0]!.body).toContain('非本辖区问题');
    expect(page.unread).toBeGreaterThanOrEqual(2);
    expect(page.next).toBe(page.items[0]!.id);
    const marked = await world.services.notify.markRead(await world.as('solang'), [page.items[0]!.id]);
    expect(marked).toEqual({ marked: 1, unread: page.unread - 1 });
    expect(await world.services.notify.markRead(await world.as('solang'), 'all')).toEqual({ marked: page.unread - 1, unread: 0 });
  });

  it('sends subscribed staff what they asked for, in their inbox, for cases they may see', async () => {
    const admin = await world.as('admin');
    const municipal = world.department('nj-municipal');
    await world.services.notify.subscribe(admin, { kinds: ['dispatched'], userId: world.users.get('municipal')!.id, departmentId: municipal.id });
    await world.services.notify.subscribe(admin, { kinds: ['new_report', 'emergency'], userId: world.users.get('dispatcher')!.id, jurisdictionId: world.unit(NAJIN_CODE).id });
    // The Zhaxi dispatcher asks for everything, but cannot see Najin's cases: nothing reaches them.
    await world.services.notify.subscribe(admin, { kinds: ['new_report', 'dispatched'], userId: world.users.get('zx-dispatcher')!.id });
    const id = await world.report('solang', { urgency: 'emergency' });
    await drain();
    const dispatcherNews = (await inbox('dispatcher')).filter((m) => m.caseId === id);
    expect(dispatcherNews.map((m) => m.kind)).toEqual(['emergency']);
    expect(dispatcherNews[0]!.title).toContain('紧急');
    await act(world, 'dispatcher', id, 'accept');
    await act(world, 'dispatcher', id, 'file');
    await act(world, 'dispatcher', id, 'dispatch', { departmentId: municipal.id });
    await drain();
    expect((await inbox('municipal')).filter((m) => m.caseId === id).map((m) => m.kind)).toEqual(['dispatched']);
    expect((await inbox('zx-dispatcher')).filter((m) => m.caseId === id)).toEqual([]);
    // The dispatcher dispatched it: no news of their own action.
    expect((await inbox('dispatcher')).filter((m) => m.caseId === id).map((m) => m.kind)).toEqual(['emergency']);
  });

  it('refuses subscriptions naming unknown kinds, channels, users or departments, with the field', async () => {
    const admin = await world.as('admin');
    const refused = async (input: Parameters<typeof world.services.notify.subscribe>[1]) => {
      try {
        await world.services.notify.subscribe(admin, input);
      } catch (error) {
        return { code: (error as DomainError).code, field: (error as DomainError).details.field };
      }
      throw new Error('accepted');
    };
    const user = world.users.get('municipal')!.id;
    expect(await refused({ kinds: ['exploded'], userId: user })).toEqual({ code: 'unknown_event_kind', field: 'kinds' });
    expect(await refused({ kinds: [], userId: user })).toEqual({ code: 'kinds_required', field: 'kinds' });
    expect(await refused({ kinds: ['closed'], channelId: 'nope' })).toEqual({ code: 'channel_not_found', field: 'channelId' });
    expect(await refused({ kinds: ['closed'], userId: 'nope' })).toEqual({ code: 'user_not_found', field: 'userId' });
    expect(await refused({ kinds: ['closed'], userId: user, departmentId: 'nope' })).toEqual({ code: 'department_not_found', field: 'departmentId' });
    expect(await refused({ kinds: ['closed'] })).toEqual({ code: 'target_required', field: 'channelId' });
  });

  it("tells subscribers of the sweep's reminders (催办) and supervision (督办), and never the rider", async () => {
    const admin = await world.as('admin');
    await world.services.notify.subscribe(admin, { kinds: ['reminder', 'supervision'], userId: world.users.get('supervisor')!.id, jurisdictionId: world.unit(NAJIN_CODE).id });
    const start = world.clock.now();
    const id = await world.report('solang', { categoryId: world.category('01-002').id, description: '垃圾桶满了' });
    await drain();
    // A normal case waits 4 h to be accepted; the reminder comes 48 min before that, the supervision after it.
    world.clock.set(new Date(start.getTime() + (3 * 60 + 20) * 60_000));
    expect((await world.services.sweep.run()).reminded).toBeGreaterThanOrEqual(1);
    await drain();
    const reminded = (await inbox('supervisor')).filter((m) => m.caseId === id);
    expect(reminded.map((m) => m.kind)).toEqual(['reminder']);
    expect(reminded[0]!.body).toMatch(/受理时限:剩余 40分钟/);
    world.clock.set(new Date(start.getTime() + (4 * 60 + 5) * 60_000));
    expect((await world.services.sweep.run()).supervised).toBeGreaterThanOrEqual(1);
    await drain();
    expect((await inbox('supervisor')).filter((m) => m.caseId === id).map((m) => m.kind)).toEqual(['reminder', 'supervision']);
    expect((await inbox('solang')).filter((m) => m.caseId === id).map((m) => m.kind)).toEqual(['receipt']);
  });
});
