// Grid workers in the database (ports.ts MemberStore): the programme's lists, its members with the state
// their latest event left, and the append-only member events. A member's row is only ever written with the
// event that changes it, conditional on the event number it was read at (a second writer gets `false`).

import type { Kysely } from 'kysely';
import type { MemberEvent, MemberRecord, ProgrammeOption } from '../domain/records.js';
import type { MemberQuery, MemberStore } from '../ports.js';
import { fromJson, toJson } from './dialect.js';
import type { DB, MemberEventTable, MemberTable, ProgrammeOptionTable } from './schema.js';

const toOption = (r: ProgrammeOptionTable): ProgrammeOption => ({
  kind: r.kind as ProgrammeOption['kind'],
  code: r.code,
  names: fromJson<ProgrammeOption['names']>(r.names, { zh: r.code, en: r.code }),
  active: r.active === 1,
});

const toMember = (r: MemberTable): MemberRecord => ({
  id: r.id,
  name: r.name,
  phone: r.phone,
  workerType: r.worker_type,
  platform: r.platform,
  station: r.station,
  roles: fromJson<MemberRecord['roles']>(r.roles, []),
  jurisdictionId: r.jurisdiction_id,
  status: r.status as MemberRecord['status'],
  statusAt: r.status_at,
  statusReason: r.status_reason,
  userId: r.user_id,
  appointmentNumber: r.appointment_number,
  appointedOn: r.appointed_on,
  seq: r.seq,
  createdAt: r.created_at,
});

const memberColumns = (m: MemberRecord) => ({
  name: m.name,
  phone: m.phone,
  worker_type: m.workerType,
  platform: m.platform,
  station: m.station,
  roles: toJson(m.roles),
  jurisdiction_id: m.jurisdictionId,
  status: m.status,
  status_at: m.statusAt,
  status_reason: m.statusReason,
  user_id: m.userId,
  appointment_number: m.appointmentNumber,
  appointed_on: m.appointedOn,
  seq: m.seq,
});

const toEvent = (r: MemberEventTable): MemberEvent => ({
  id: r.id,
  memberId: r.member_id,
  seq: r.seq,
  action: r.action as MemberEvent['action'],
  actorId: r.actor_id,
  actorRole: r.actor_role as MemberEvent['actorRole'],
  fromStatus: r.from_status as MemberEvent['fromStatus'],
  toStatus: r.to_status as MemberEvent['toStatus'],
  data: fromJson<Record<string, unknown>>(r.data, {}),
  at: r.at,
});

export class MemberRepository implements MemberStore {
  constructor(private readonly db: Kysely<DB>) {}

  async options(): Promise<ProgrammeOption[]> {
    const rows = await this.db.selectFrom('programme_options').selectAll().orderBy('kind').orderBy('sort').orderBy('code').execute();
    return rows.map(toOption);
  }

  async putOption(o: ProgrammeOption, sort: number): Promise<void> {
    const values = { kind: o.kind, code: o.code, names: toJson(o.names), active: o.active ? 1 : 0, sort };
    await this.db
      .insertInto('programme_options')
      .values(values)
      .onConflict((oc) => oc.columns(['kind', 'code']).doUpdateSet({ names: values.names, active: values.active, sort: values.sort }))
      .execute();
  }

  async insertMember(m: MemberRecord, tokenHash: string): Promise<void> {
    await this.db
      .insertInto('members')
      .values({ id: m.id, ...memberColumns(m), status_token_hash: tokenHash, created_at: m.createdAt })
      .execute();
  }

  async saveMember(m: MemberRecord, readAtSeq: number): Promise<boolean> {
    const result = await this.db.updateTable('members').set(memberColumns(m)).where('id', '=', m.id).where('seq', '=', readAtSeq).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async member(id: string): Promise<MemberRecord | undefined> {
    const row = await this.db.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toMember(row) : undefined;
  }

  async memberByToken(tokenHash: string): Promise<MemberRecord | undefined> {
    const row = await this.db.selectFrom('members').selectAll().where('status_token_hash', '=', tokenHash).executeTakeFirst();
    return row ? toMember(row) : undefined;
  }

  async liveMemberByPhone(phone: string): Promise<MemberRecord | undefined> {
    const row = await this.db.selectFrom('members').selectAll().where('phone', '=', phone).where('status', 'not in', ['rejected', 'retired']).executeTakeFirst();
    return row ? toMember(row) : undefined;
  }

  /** The account's live membership, else its latest ended one (an account may apply again after a rejection or retirement). */
  async memberByUser(userId: string): Promise<MemberRecord | undefined> {
    const rows = await this.db.selectFrom('members').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(20).execute();
    const row = rows.find((r) => r.status !== 'rejected' && r.status !== 'retired') ?? rows[0];
    return row ? toMember(row) : undefined;
  }

  /** memberByUser for many users at once (the one each would answer), 500 users a query. */
  async memberIdsByUsers(userIds: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < userIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('members')
        .select(['id', 'user_id', 'status'])
        .where('user_id', 'in', userIds.slice(i, i + 500))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      const byUser = new Map<string, typeof rows>();
      for (const r of rows) {
        if (!r.user_id) continue;
        const list = byUser.get(r.user_id);
        if (list) list.push(r);
        else byUser.set(r.user_id, [r]);
      }
      for (const [userId, list] of byUser) out.set(userId, (list.find((r) => r.status !== 'rejected' && r.status !== 'retired') ?? list[0]!).id);
    }
    return out;
  }

  async members(q: MemberQuery): Promise<MemberRecord[]> {
    let query = this.db.selectFrom('members').innerJoin('jurisdictions', 'jurisdictions.id', 'members.jurisdiction_id').selectAll('members');
    if (q.withinPath) query = query.where((eb) => eb.or([eb('jurisdictions.path', '=', q.withinPath!), eb('jurisdictions.path', 'like', `${q.withinPath}/%`)]));
    if (q.status?.length) query = query.where('members.status', 'in', q.status);
    if (q.platform) query = query.where('members.platform', '=', q.platform);
    if (q.workerType) query = query.where('members.worker_type', '=', q.workerType);
    if (q.jurisdictionId) query = query.where('members.jurisdiction_id', '=', q.jurisdictionId);
    if (q.before) query = query.where('members.id', '<', q.before);
    const rows = await query.orderBy('members.id', 'desc').limit(q.limit).execute();
    return rows.map(toMember);
  }

  async appointedCount(jurisdictionId: string, yearPrefix: string): Promise<number> {
    const row = await this.db
      .selectFrom('members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('jurisdiction_id', '=', jurisdictionId)
      .where('appointed_on', 'like', `${yearPrefix}%`)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async appendMemberEvent(e: MemberEvent): Promise<void> {
    await this.db
      .insertInto('member_events')
      .values({ id: e.id, member_id: e.memberId, seq: e.seq, action: e.action, actor_id: e.actorId, actor_role: e.actorRole, from_status: e.fromStatus, to_status: e.toStatus, data: toJson(e.data), at: e.at })
      .execute();
  }

  async memberEvents(memberId: string): Promise<MemberEvent[]> {
    const rows = await this.db.selectFrom('member_events').selectAll().where('member_id', '=', memberId).orderBy('seq').execute();
    return rows.map(toEvent);
  }

  async memberEventsByIds(ids: string[]): Promise<MemberEvent[]> {
    if (ids.length === 0) return [];
    return (await this.db.selectFrom('member_events').selectAll().where('id', 'in', ids).execute()).map(toEvent);
  }

  async membersByIds(ids: string[]): Promise<MemberRecord[]> {
    if (ids.length === 0) return [];
    return (await this.db.selectFrom('members').selectAll().where('id', 'in', ids).execute()).map(toMember);
  }
}
