// Passwords (argon2id) and bearer tokens. Tokens are random 256-bit strings; only their SHA-256 is stored.

import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { DomainError, invalid, notFound } from '../domain/errors.js';
import { ROLES, type Role } from '../domain/types.js';
import { newId } from '../domain/ids.js';
import type { SessionRecord, User } from '../domain/records.js';
import { requireCapability } from '../domain/access.js';
import type { Principal, ServiceContext } from './context.js';
import type { Log, ThrottleService } from './throttle.service.js';

/** A username: 2-64 letters (any script), digits, dots, dashes or underscores. */
export const USERNAME_SHAPE = /^[\p{L}\p{M}\p{N}_.-]{2,64}$/u;

/** How a secret token is stored: its SHA-256, hex (sign-in tokens, an applicant's status link). */
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

// Verifying against a fixed hash when the user does not exist keeps the timing the same either way.
let dummyHash: Promise<string> | undefined;

export interface NewUser {
  username: string;
  password: string;
  displayName: string;
  role: Role;
  phone?: string | null;
  departmentId?: string | null;
  jurisdictionId?: string | null;
  locale?: string;
  /** employer: the platform (a programme platform code) and the local station the account speaks for. */
  platform?: string | null;
  station?: string | null;
}

export class AuthService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly tokenTtlHours: number,
    private readonly throttle?: ThrottleService,
    /** How long a device session lasts (a sign-in that named its device: the rider app on a phone). */
    private readonly deviceSessionDays = 180,
  ) {}

  /**
   * Log in. The throttle comes first: a locked account or an address out of attempts is refused (429)
   * before any password work; a failure counts against both, a success does not. An unknown username is
   * counted and locked like a real one, so lockouts say nothing about which accounts exist.
   */
  /**
   * Log in. A sign-in that names its device (`device`: the rider app on a phone) opens a device session,
   * which lasts deviceSessionDays (180 by default) until the rider signs out there, ends it from another
   * device, or an administrator ends the account's sessions; any other lasts tokenTtlHours.
   */
  async login(username: string, password: string, from: { address: string; log?: Log } = { address: 'local' }, device?: string): Promise<{ token: string; expiresAt: string; sessionId: string; user: User }> {
    const attempt = await this.throttle?.loginAttempt(username, from.address, from.log);
    const found = await this.ctx.uow.autocommit.users.byUsername(username);
    dummyHash ??= hash('not-a-real-password');
    const ok = await verify(found?.passwordHash ?? (await dummyHash), password).catch(() => false);
    if (!found || !ok || !found.active) {
      await attempt?.failed();
      throw new DomainError('unauthenticated', 'invalid_credentials', 'Wrong username or password.');
    }
    await attempt?.succeeded();
    const token = randomBytes(32).toString('base64url');
    const now = this.ctx.now();
    const label = device?.trim() || null;
    const ttlMs = label ? this.deviceSessionDays * 86_400_000 : this.tokenTtlHours * 3_600_000;
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    const sessionId = newId(now.getTime());
    await this.ctx.uow.autocommit.users.insertToken({ tokenHash: tokenHash(token), id: sessionId, userId: found.id, device: label, createdAt: now.toISOString(), expiresAt });
    const { passwordHash: _omit, ...user } = found;
    return { token, expiresAt, sessionId, user };
  }

  async logout(token: string): Promise<void> {
    await this.ctx.uow.autocommit.users.revokeToken(tokenHash(token), this.ctx.now().toISOString());
  }

  /** The principal behind a bearer token, or undefined when it is unknown, expired or revoked. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const hashed = tokenHash(token);
    const now = this.ctx.now();
    const found = await this.ctx.uow.autocommit.users.userForToken(hashed, now.toISOString());
    if (!found) return undefined;
    // The session's last use, to the hour: one write an hour at most, whatever the traffic.
    if (!found.lastSeenAt || now.getTime() - Date.parse(found.lastSeenAt) >= 3_600_000) await this.ctx.uow.autocommit.users.touchToken(hashed, now.toISOString());
    return this.ctx.principal(found.user);
  }

  /** The caller's live sessions (their phones and browsers), newest first; `current` marks this one. */
  async mySessions(principal: Principal, token: string): Promise<(SessionRecord & { current: boolean })[]> {
    const mine = tokenHash(token);
    return (await this.ctx.uow.autocommit.users.sessions(principal.user.id, this.ctx.now().toISOString())).map(({ tokenHash: hashed, ...s }) => ({ ...s, current: hashed === mine }));
  }

  /** End one of the caller's sessions (a lost phone, from another device); 404 session_not_found otherwise. */
  async endMySession(principal: Principal, id: string): Promise<void> {
    if (!(await this.ctx.uow.autocommit.users.revokeSession(principal.user.id, id, this.ctx.now().toISOString()))) throw notFound('session', id);
  }

  /** An administrator's view of an account's live sessions. */
  async sessionsOf(principal: Principal, userId: string): Promise<SessionRecord[]> {
    await this.manageable(principal, userId);
    return (await this.ctx.uow.autocommit.users.sessions(userId, this.ctx.now().toISOString())).map(({ tokenHash: _hash, ...s }) => s);
  }

  /** An administrator ends every session of an account (a phone lost or sold, a rider leaving); how many. */
  async endSessionsOf(principal: Principal, userId: string): Promise<number> {
    await this.manageable(principal, userId);
    return this.ctx.uow.autocommit.users.revokeSessions(userId, this.ctx.now().toISOString());
  }

  private async manageable(principal: Principal, userId: string): Promise<void> {
    requireCapability(principal.actor, 'manage_users');
    if (!(await this.ctx.uow.autocommit.users.find(userId))) throw notFound('user', userId);
  }

  async addUser(input: NewUser): Promise<User> {
    if (!USERNAME_SHAPE.test(input.username)) {
      throw invalid('username', 'A username is 2-64 letters (any script), digits, dots, dashes or underscores.', 'invalid_username');
    }
    if (input.password.length < 8) throw invalid('password', 'A password needs at least 8 characters.', 'password_too_short');
    if (!ROLES.includes(input.role)) throw invalid('role', `role must be one of ${ROLES.join(', ')}.`, 'invalid_role');
    const repos = this.ctx.uow.autocommit;
    if (input.departmentId && !(await repos.reference.department(input.departmentId))) {
      throw invalid('departmentId', `There is no department with id ${input.departmentId}.`, 'department_not_found');
    }
    if (input.jurisdictionId && !(await repos.reference.jurisdiction(input.jurisdictionId))) {
      throw invalid('jurisdictionId', `There is no jurisdiction with id ${input.jurisdictionId}.`, 'jurisdiction_not_found');
    }
    const employer = await this.employerFields(input);
    const id = newId();
    try {
      await repos.users.insert({
        id,
        username: input.username,
        passwordHash: await hash(input.password),
        displayName: input.displayName,
        phone: input.phone ?? null,
        role: input.role,
        departmentId: input.departmentId ?? null,
        jurisdictionId: input.jurisdictionId ?? null,
        locale: input.locale ?? 'zh-CN',
        active: true,
        createdAt: this.ctx.now().toISOString(),
        ...employer,
      });
    } catch (error) {
      if (this.ctx.uow.failure(error) === 'duplicate') throw invalid('username', `The username ${input.username} is taken.`, 'username_taken');
      throw error;
    }
    return (await repos.users.find(id))!;
  }

  /**
   * An employer account is a platform's local station: it names the platform (from the programme's list)
   * and the area it recruits in (its jurisdiction); no other role carries a platform.
   */
  private async employerFields(input: NewUser): Promise<{ platform: string | null; station: string | null }> {
    const station = input.station?.trim() || null;
    if (input.role !== 'employer') {
      if (input.platform || station) throw invalid(input.platform ? 'platform' : 'station', 'Only an employer account names a platform and a station.', 'not_an_employer');
      return { platform: null, station: null };
    }
    if (!input.platform) throw invalid('platform', 'An employer account names its platform (meituan, eleme, ...).', 'platform_required');
    const platforms = (await this.ctx.uow.autocommit.members.options()).filter((o) => o.kind === 'platform');
    if (!platforms.some((o) => o.code === input.platform)) throw invalid('platform', `platform is one of ${platforms.map((o) => o.code).join(', ')}.`, 'unknown_platform');
    if (!input.jurisdictionId) throw invalid('jurisdictionId', 'An employer account names the area its station recruits in (jurisdictionId).', 'jurisdiction_required');
    if (station && station.length > 100) throw invalid('station', 'station is at most 100 characters.', 'too_long');
    return { platform: input.platform, station };
  }
}
