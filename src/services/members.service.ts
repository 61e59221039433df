// Grid workers (issue 11): applications (open, without an account), the subdistrict's recruitment steps,
// members for staff, the applicant's status link and the appointment certificate. Each step is a member
// event written with the member's new state in one transaction, conditional on the state it was decided on.

import { randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';
import { maskPhone, may, requireCapability } from '../domain/access.js';
import { conflict, DomainError, forbidden, invalid, notFound } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import {
  appointmentNumber,
  availableMemberActions,
  checkMemberInput,
  MEMBER_RULES,
  MEMBER_STATUSES,
  normalizeMobile,
  PROGRAMME_ROLES,
  type MemberAction,
  type MemberActionInput,
  type MemberStatus,
  type ProgrammeRole,
} from '../domain/members.js';
import type { Jurisdiction, MemberEvent, MemberRecord, ProgrammeOption } from '../domain/records.js';
import type { Stores } from '../ports.js';
import { tokenHash, USERNAME_SHAPE } from './auth.service.js';
import type { Principal, ServiceContext } from './context.js';

/** An application as the open form sends it. */
export interface ApplicationInput {
  name: string;
  phone: string;
  workerType: string;
  platform: string;
  station?: string;
  roles?: string[];
  /** The home subdistrict (a unit of level subdistrict). */
  jurisdictionId: string;
  note?: string;
}

/** What the applicant's status link shows: their own application, no staff names. */
export interface ApplicationStatus {
  name: string;
  status: MemberStatus;
  statusAt: string;
  /** The reason of a rejection (the applicant sees why). */
  reason: string | null;
  appointmentNumber: string | null;
  appointedOn: string | null;
  steps: { action: string; status: MemberStatus; at: string }[];
}

/** A member as staff see them: the phone masked unless the viewer's role needs it in full. */
export interface MemberView extends Omit<MemberRecord, 'phone'> {
  phone: string;
  jurisdictionName: string;
}

export interface MemberDetail extends MemberView {
  events: MemberEvent[];
  availableActions: MemberAction[];
}

export interface MemberStats {
  memberId: string;
  reports: number;
  verified: number;
  /** verified / reports, null without reports. */
  verifiedShare: number | null;
  closed: number;
  medianMinutesToClose: number | null;
  closedWithinHour: number;
  pointsEarned: number;
  balance: number;
}

export interface MemberListQuery {
  status?: MemberStatus;
  platform?: string;
  workerType?: string;
  jurisdictionId?: string;
  limit?: number;
  before?: string;
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32}$/;

/** Who sees a member's phone in full: the subdistrict's reviewers, who call applicants. */
const FULL_PHONE_ROLES = new Set(['dispatcher', 'supervisor', 'admin']);

export class MemberService {
  constructor(private readonly ctx: ServiceContext) {}

  private get store() {
    return this.ctx.uow.autocommit.members;
  }

  /** The programme's lists: worker types and employer platforms (the active ones, for the application form). */
  async options(): Promise<{ workerTypes: ProgrammeOption[]; platforms: ProgrammeOption[] }> {
    const all = (await this.store.options()).filter((o) => o.active);
    return { workerTypes: all.filter((o) => o.kind === 'worker_type'), platforms: all.filter((o) => o.kind === 'platform') };
  }

  /**
   * Add or change an entry of the programme's lists (admin): a worker type (couriers join next) or an
   * employer platform. An entry is never deleted (members name it); `active: false` takes it off the form.
   */
  async putOption(principal: Principal, kind: string, code: string, input: { names?: { zh?: unknown; en?: unknown; bo?: unknown }; active?: unknown; sort?: unknown }): Promise<ProgrammeOption> {
    requireCapability(principal.actor, 'manage_programme');
    if (kind !== 'worker_type' && kind !== 'platform') throw invalid('kind', 'kind is worker_type or platform.', 'invalid_kind');
    if (!/^[a-z][a-z0-9_-]{0,39}$/.test(code)) throw invalid('code', 'code is 1-40 lower-case letters, digits, _ or -, starting with a letter.', 'invalid_code');
    const text = (v: unknown, field: string, required: boolean): string | undefined => {
      if (v === undefined || v === null || v === '') {
        if (required) throw invalid(field, `${field} is required.`, 'name_required');
        return undefined;
      }
      if (typeof v !== 'string' || v.trim() === '' || v.length > 60) throw invalid(field, `${field} is a name of 1-60 characters.`, 'invalid_name');
      return v.trim();
    };
    const names = { zh: text(input.names?.zh, 'names.zh', true)!, en: text(input.names?.en, 'names.en', true)!, ...(text(input.names?.bo, 'names.bo', false) ? { bo: text(input.names?.bo, 'names.bo', false)! } : {}) };
    if (input.active !== undefined && typeof input.active !== 'boolean') throw invalid('active', 'active is true or false.', 'invalid_field');
    const existing = (await this.store.options()).filter((o) => o.kind === kind);
    const sort = typeof input.sort === 'number' && Number.isInteger(input.sort) ? input.sort : existing.findIndex((o) => o.code === code) >= 0 ? existing.findIndex((o) => o.code === code) : existing.length;
    const option: ProgrammeOption = { kind, code, names, active: input.active !== false };
    await this.store.putOption(option, sort);
    return option;
  }

  /**
   * 个人报名: an application, open to anyone; answers the status link's secret once (it is not stored). A
   * rider who applies signed in (the rider app) links their reporter account at once: they hear of each
   * step in their inbox, and `GET /me/membership` shows it.
   */
  async apply(input: ApplicationInput, principal?: Principal): Promise<{ status: ApplicationStatus; token: string }> {
    if (principal && principal.actor.role !== 'reporter') {
      throw forbidden('role_not_allowed', 'Apply from a rider\'s account, or without signing in; staff accounts do not join the programme.', { roles: ['reporter'] });
    }
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (name.length < 1 || name.length > 50) throw invalid('name', 'Give your name as on your ID card (1-50 characters).', 'name_required');
    const phone = typeof input.phone === 'string' ? normalizeMobile(input.phone) : null;
    if (!phone) throw invalid('phone', 'Give a mainland mobile number of 11 digits starting with 1 (for example 13812345678).', 'invalid_phone');
    const options = await this.options();
    if (!options.workerTypes.some((o) => o.code === input.workerType)) {
      throw invalid('workerType', `workerType is one of ${options.workerTypes.map((o) => o.code).join(', ')}.`, 'unknown_worker_type');
    }
    if (!options.platforms.some((o) => o.code === input.platform)) {
      throw invalid('platform', `platform is one of ${options.platforms.map((o) => o.code).join(', ')}.`, 'unknown_platform');
    }
    const roles = [...new Set(input.roles?.length ? input.roles : ['grid_worker'])];
    const unknownRole = roles.find((r) => !(PROGRAMME_ROLES as readonly string[]).includes(r));
    if (unknownRole !== undefined) throw invalid('roles', `"${unknownRole}" is not a programme role; use ${PROGRAMME_ROLES.join(', ')}.`, 'unknown_programme_role');
    const home = await this.subdistrict(input.jurisdictionId, 'jurisdictionId');
    const station = input.station?.trim() || null;
    if (station && station.length > 100) throw invalid('station', 'station is at most 100 characters.', 'too_long');
    const note = input.note?.trim() || undefined;
    if (note && note.length > 500) throw invalid('note', 'note is at most 500 characters.', 'too_long');

    const token = randomBytes(24).toString('base64url');
    const now = this.ctx.now().toISOString();
    const member: MemberRecord = {
      id: newId(),
      name,
      phone,
      workerType: input.workerType,
      platform: input.platform,
      station,
      roles: roles as ProgrammeRole[],
      jurisdictionId: home.id,
      status: 'applicant',
      statusAt: now,
      statusReason: null,
      userId: principal?.user.id ?? null,
      appointmentNumber: null,
      appointedOn: null,
      seq: 1,
      createdAt: now,
    };
    const event: MemberEvent = { id: newId(), memberId: member.id, seq: 1, action: 'apply', actorId: principal?.user.id ?? null, actorRole: principal ? 'reporter' : 'applicant', fromStatus: null, toStatus: 'applicant', data: note ? { note } : {}, at: now };
    const alreadyMember = () => conflict('already_a_member', 'This account already has a membership or an application; see it in the app (GET /api/v1/me/membership).', {});
    await this.write(
      async (repos) => {
        if (await repos.members.liveMemberByPhone(phone)) throw duplicatePhone();
        const held = principal ? await repos.members.memberByUser(principal.user.id) : undefined;
        if (held && held.status !== 'rejected' && held.status !== 'retired') throw alreadyMember();
        await repos.members.insertMember(member, tokenHash(token));
        await this.appendEvent(repos, event);
      },
      (error) => (principal && /user/i.test(String((error as Error)?.message)) ? alreadyMember() : duplicatePhone()),
    );
    return { status: statusOf(member, [event]), token };
  }

  /** The signed-in rider's own membership or application, as the status link shows it; 404 without one. */
  async mine(principal: Principal): Promise<ApplicationStatus & { memberId: string }> {
    const member = await this.store.memberByUser(principal.user.id);
    if (!member) throw new DomainError('not_found', 'not_a_member', 'You have not applied to the programme yet; apply with POST /api/v1/applications while signed in.', {});
    return { memberId: member.id, ...statusOf(member, await this.store.memberEvents(member.id)) };
  }

  /** What the status link shows. An unknown or malformed link is 404 (nothing tells whether it ever was one). */
  async status(token: string): Promise<ApplicationStatus> {
    const member = TOKEN_SHAPE.test(token) ? await this.store.memberByToken(tokenHash(token)) : undefined;
    if (!member) throw new DomainError('not_found', 'application_not_found', 'There is no application at this link; check that you copied the whole link.', {});
    return statusOf(member, await this.store.memberEvents(member.id));
  }

  async list(principal: Principal, q: MemberListQuery): Promise<{ items: MemberView[]; next: string | null }> {
    const { withinPath, platform } = this.scope(principal);
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 200);
    if (q.status !== undefined && !(MEMBER_STATUSES as readonly string[]).includes(q.status)) throw invalid('status', `status is one of ${MEMBER_STATUSES.join(', ')}.`, 'invalid_status');
    if (platform && q.platform && q.platform !== platform) return { items: [], next: null };
    const rows = await this.store.members({ withinPath, status: q.status ? [q.status] : undefined, platform: platform ?? q.platform, workerType: q.workerType, jurisdictionId: q.jurisdictionId, before: q.before, limit: limit + 1 });
    const page = rows.slice(0, limit);
    // A list never needs the whole number.
    const items = await Promise.all(page.map((m) => this.view(m, false)));
    return { items, next: rows.length > limit ? page[page.length - 1]!.id : null };
  }

  async get(principal: Principal, id: string): Promise<MemberDetail> {
    const member = await this.reachable(principal, id);
    return this.detail(principal, member);
  }

  /** One recruitment step (recommend, approve, reject, appoint, suspend, reinstate, retire). */
  async act(principal: Principal, id: string, action: MemberAction, raw: MemberActionInput): Promise<{ member: MemberDetail; account?: { username: string; password: string } }> {
    const rule = MEMBER_RULES[action];
    if (!rule.roles.includes(principal.actor.role)) throw forbidden('role_not_allowed', `A ${principal.actor.role} may not ${action} a member.`, { action, roles: [...rule.roles] });
    const member = await this.reachable(principal, id);
    if (!rule.from.includes(member.status)) {
      throw conflict(`${action}_not_allowed_when_${member.status}`, `A member who is ${member.status} cannot be ${action === 'reinstate' ? 'reinstated' : `${action}${action.endsWith('e') ? 'd' : 'ed'}`}.`, { action, status: member.status });
    }
    // A station recommends in its own name: who and where default to the employer account's.
    const given = principal.actor.role === 'employer' && action === 'recommend' ? { ...raw, recommender: raw.recommender ?? principal.user.displayName, station: raw.station ?? principal.user.station ?? undefined } : raw;
    const input = checkMemberInput(action, given);
    const now = this.ctx.now().toISOString();
    const next: MemberRecord = { ...member, status: rule.to, statusAt: now, seq: member.seq + 1 };
    const data: Record<string, unknown> = {};
    for (const key of rule.fields) if (input[key] !== undefined && key !== 'userId' && key !== 'username') data[key] = input[key];
    if (principal.actor.role === 'employer') data.platform = principal.user.platform;
    if (input.reason !== undefined) next.statusReason = input.reason;
    else if (action === 'reinstate') next.statusReason = null;
    if (action === 'recommend' && input.station) next.station = input.station;

    let account: { username: string; password: string } | undefined;
    let newUser: Parameters<Stores['users']['insert']>[0] | undefined;
    if (action === 'appoint') {
      next.appointedOn = input.appointedOn!;
      if (input.userId !== undefined) {
        const user = await this.ctx.uow.autocommit.users.find(input.userId);
        if (!user) throw invalid('userId', `There is no account with id ${input.userId}.`, 'user_not_found');
        if (user.role !== 'reporter') throw invalid('userId', 'A member reports with a reporter account; this one is a staff account.', 'not_a_reporter');
        next.userId = user.id;
      } else if (input.username !== undefined) {
        if (!USERNAME_SHAPE.test(input.username)) throw invalid('username', 'A username is 2-64 letters (any script), digits, dots, dashes or underscores.', 'invalid_username');
        const password = randomBytes(9).toString('base64url');
        newUser = { id: newId(), username: input.username, passwordHash: await hash(password), displayName: member.name, phone: member.phone, role: 'reporter', departmentId: null, jurisdictionId: member.jurisdictionId, locale: 'zh-CN', active: true, createdAt: now, platform: null, station: null };
        next.userId = newUser.id;
        account = { username: input.username, password };
      } else if (member.userId === null) {
        throw invalid('userId', 'Link the reporter account the member reports with (userId), or name one to create for them (username).', 'account_required');
      }
      data.userId = next.userId;
      data.accountCreated = newUser !== undefined;
    }

    const event: MemberEvent = { id: newId(), memberId: member.id, seq: next.seq, action, actorId: principal.user.id, actorRole: principal.actor.role, fromStatus: member.status, toStatus: next.status, data, at: now };
    await this.write(
      async (repos) => {
        if (action === 'appoint') {
          const home = (await repos.reference.jurisdiction(member.jurisdictionId))!;
          const year = next.appointedOn!.slice(0, 4);
          next.appointmentNumber ??= appointmentNumber(numberPrefix(home), Number(year), (await repos.members.appointedCount(home.id, year)) + 1);
          event.data.appointmentNumber = next.appointmentNumber;
          if (next.userId && next.userId !== member.userId && !newUser) {
            const holder = await repos.members.memberByUser(next.userId);
            const live = holder && holder.status !== 'rejected' && holder.status !== 'retired';
            if (holder && live && holder.id !== member.id) throw conflict('account_linked', 'This account already belongs to another member.', { memberId: holder.id });
          }
          if (newUser) await repos.users.insert(newUser);
        }
        if (!(await repos.members.saveMember(next, member.seq))) throw conflict('member_changed', 'Someone changed this member a moment ago; reload and try again.', {});
        await this.appendEvent(repos, event);
      },
      (error) => (newUser && /username/i.test(String((error as Error)?.message)) ? invalid('username', `The username ${newUser.username} is taken.`, 'username_taken') : conflict('member_changed', 'Someone changed this member a moment ago; reload and try again.', {})),
    );
    return { member: await this.detail(principal, next), ...(account ? { account } : {}) };
  }

  /** A member's record as a reporter: "索朗 has reported nearly 40 problems, each handled within an hour" is this. */
  async stats(principal: Principal, id: string): Promise<MemberStats> {
    const member = await this.reachable(principal, id);
    const points = this.ctx.uow.autocommit.points;
    const s = member.userId ? await points.reporterStats(member.userId) : { reports: 0, verified: 0, closeMinutes: [] };
    const sorted = [...s.closeMinutes].sort((a, b) => a - b);
    const median = sorted.length === 0 ? null : sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    return {
      memberId: member.id,
      reports: s.reports,
      verified: s.verified,
      verifiedShare: s.reports === 0 ? null : s.verified / s.reports,
      closed: sorted.length,
      medianMinutesToClose: median === null ? null : Math.round(median * 10) / 10,
      closedWithinHour: sorted.filter((m) => m <= 60).length,
      pointsEarned: await points.earned(member.id),
      balance: await points.balance(member.id),
    };
  }

  /** 月度排行: a subdistrict's members by points earned in a month (China time), then by name. */
  async leaderboard(principal: Principal, month: string, jurisdictionId?: string): Promise<{ month: string; items: { rank: number; memberId: string; name: string; appointmentNumber: string | null; points: number }[] }> {
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw invalid('month', 'month is YYYY-MM.', 'invalid_month');
    const { withinPath: within, platform } = this.scope(principal);
    const [y, m] = month.split('-').map(Number) as [number, number];
    const start = new Date(Date.parse(`${month}-01T00:00:00+08:00`)).toISOString();
    const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
    const end = new Date(Date.parse(`${next}-01T00:00:00+08:00`)).toISOString();
    const earned = await this.ctx.uow.autocommit.points.earnedBetween(start, end);
    const rows: { memberId: string; name: string; appointmentNumber: string | null; points: number }[] = [];
    for (const e of earned) {
      const member = await this.store.member(e.memberId);
      if (!member || (jurisdictionId && member.jurisdictionId !== jurisdictionId) || (platform && member.platform !== platform)) continue;
      if (within) {
        const home = await this.ctx.uow.autocommit.reference.jurisdiction(member.jurisdictionId);
        if (!home || (home.path !== within && !home.path.startsWith(`${within}/`))) continue;
      }
      if (e.points > 0) rows.push({ memberId: member.id, name: member.name, appointmentNumber: member.appointmentNumber, points: e.points });
    }
    rows.sort((a, b) => b.points - a.points || a.name.localeCompare(b.name, 'zh-CN'));
    let rank = 0;
    return { month, items: rows.map((r, i) => ({ rank: i > 0 && rows[i - 1]!.points === r.points ? rank : (rank = i + 1), ...r })) };
  }

  /** The printable appointment certificate (聘书), zh-CN, for an appointed member. */
  async certificate(principal: Principal, id: string): Promise<string> {
    const member = await this.reachable(principal, id);
    if (member.status !== 'appointed' || !member.appointmentNumber || !member.appointedOn) {
      throw conflict('not_appointed', 'Only an appointed member has a certificate.', { status: member.status });
    }
    const home = (await this.ctx.uow.autocommit.reference.jurisdiction(member.jurisdictionId))!;
    return certificateHtml(member, home);
  }

  // ---- helpers ----

  /**
   * Which members a reader reaches: an admin all; subdistrict staff those whose home is within their
   * jurisdiction; an employer's station its own platform's riders within its area.
   */
  private scope(principal: Principal): { withinPath?: string; platform?: string } {
    requireCapability(principal.actor, 'view_members');
    if (principal.actor.role === 'admin') return {};
    if (!principal.actor.jurisdictionPath) throw forbidden('no_jurisdiction', 'Your account has no jurisdiction, so it keeps no members.', {});
    if (principal.actor.role !== 'employer') return { withinPath: principal.actor.jurisdictionPath };
    if (!principal.user.platform) throw forbidden('no_platform', 'This employer account names no platform; ask an administrator to set one.', {});
    return { withinPath: principal.actor.jurisdictionPath, platform: principal.user.platform };
  }

  private async reachable(principal: Principal, id: string): Promise<MemberRecord> {
    const { withinPath: within, platform } = this.scope(principal);
    const member = await this.store.member(id);
    if (!member) throw notFound('member', id);
    // Another platform's rider is, to a station, as if there were none.
    if (platform && member.platform !== platform) throw notFound('member', id);
    if (within) {
      const home = await this.ctx.uow.autocommit.reference.jurisdiction(member.jurisdictionId);
      if (!home || (home.path !== within && !home.path.startsWith(`${within}/`))) throw forbidden('out_of_scope', 'This member belongs to another subdistrict.', {});
    }
    return member;
  }

  private async subdistrict(id: unknown, field: string): Promise<Jurisdiction> {
    const unit = typeof id === 'string' && id !== '' ? await this.ctx.uow.autocommit.reference.jurisdiction(id) : undefined;
    if (!unit) throw invalid(field, 'Choose your home subdistrict (街道) from the list.', 'jurisdiction_not_found');
    if (unit.level !== 'subdistrict') throw invalid(field, `${unit.names.zh} is a ${unit.level}; a member's home is a subdistrict (街道).`, 'not_a_subdistrict');
    return unit;
  }

  private async view(m: MemberRecord, fullPhone: boolean): Promise<MemberView> {
    const home = await this.ctx.uow.autocommit.reference.jurisdiction(m.jurisdictionId);
    return { ...m, phone: fullPhone ? m.phone : (maskPhone(m.phone) ?? ''), jurisdictionName: home?.names.zh ?? '' };
  }

  private async detail(principal: Principal, m: MemberRecord): Promise<MemberDetail> {
    const full = FULL_PHONE_ROLES.has(principal.actor.role) && may(principal.actor, 'manage_members');
    return { ...(await this.view(m, full)), events: await this.store.memberEvents(m.id), availableActions: availableMemberActions(m.status, principal.actor.role) };
  }

  /** A member event and its notice (the programme's outbox), in the step's transaction. */
  private async appendEvent(repos: Stores, event: MemberEvent): Promise<void> {
    await repos.members.appendMemberEvent(event);
    await repos.notify.insertNotice({ id: newId(), eventId: event.id, topic: 'member', subjectId: event.memberId, step: event.action, actorId: event.actorId, createdAt: event.at });
  }

  /** One transaction; a unique index tripped by a concurrent writer becomes `onDuplicate`'s error. The fan-out hears of it once it commits. */
  private async write(work: (repos: Stores) => Promise<void>, onDuplicate: (error: unknown) => DomainError): Promise<void> {
    try {
      await this.ctx.transaction(work);
    } catch (error) {
      if (!(error instanceof DomainError) && this.ctx.uow.failure(error) === 'duplicate') throw onDuplicate(error);
      throw error;
    }
    this.ctx.signals.send('outbox');
  }
}

const duplicatePhone = () => conflict('phone_already_applied', 'This phone number already has an application or membership; check its status with the link you were given, or ask the subdistrict.', { field: 'phone' });

/** An appointment number starts with the subdistrict's code: unique across subdistricts, readable on the certificate. */
const numberPrefix = (home: Jurisdiction): string => home.code;

function statusOf(m: MemberRecord, events: MemberEvent[]): ApplicationStatus {
  return {
    name: m.name,
    status: m.status,
    statusAt: m.statusAt,
    reason: m.status === 'rejected' ? m.statusReason : null,
    appointmentNumber: m.appointmentNumber,
    appointedOn: m.appointedOn,
    steps: events.map((e) => ({ action: e.action, status: e.toStatus, at: e.at })),
  };
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function chineseDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return `${y}年${m}月${d}日`;
}

/** The certificate page: one A4 landscape sheet, print CSS, no scripts, nothing from outside. */
export function certificateHtml(m: MemberRecord, home: Jurisdiction): string {
  const roles = m.roles.map((r) => (r === 'food_safety_guardian' ? '舌尖守护者' : '流动网格员')).join('、');
  const unit = escapeHtml(home.names.zh);
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>聘书 ${escapeHtml(m.appointmentNumber ?? '')}</title>
<style>
  @page { size: A4 landscape; margin: 0; }
  body { margin: 0; font-family: "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", serif; color: #8b0000; background: #fff; }
  .sheet { box-sizing: border-box; width: 297mm; height: 210mm; padding: 22mm 28mm; border: 6mm double #b22222; display: flex; flex-direction: column; }
  h1 { font-size: 48pt; letter-spacing: 0.5em; text-align: center; margin: 0 0 12mm; }
  .body { font-size: 20pt; line-height: 2; color: #222; flex: 1; }
  .name { font-weight: bold; border-bottom: 1px solid #222; padding: 0 0.5em; }
  .foot { display: flex; justify-content: space-between; font-size: 16pt; color: #222; }
  @media screen { body { background: #eee; } .sheet { margin: 10mm auto; background: #fff; box-shadow: 0 0 4mm #999; } }
</style>
</head>
<body>
<main class="sheet">
  <h1>聘书</h1>
  <p class="body">兹聘请 <span class="name">${escapeHtml(m.name)}</span> 同志为${unit}“${roles}”，参与基层治理，随手拍、随手报，守护街巷平安与舌尖安全。</p>
  <div class="foot">
    <span>聘书编号：${escapeHtml(m.appointmentNumber ?? '')}</span>
    <span>${unit}<br>${chineseDate(m.appointedOn ?? '')}</span>
  </div>
</main>
</body>
</html>
`;
}
