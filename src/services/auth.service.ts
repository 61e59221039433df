// Passwords (argon2id) and bearer tokens. Tokens are random 256-bit strings; only their SHA-256 is stored.

import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { DomainError, invalid } from '../domain/errors.js';
import { ROLES, type Role } from '../domain/types.js';
import { newId } from '../domain/ids.js';
import type { User } from '../domain/records.js';
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
  ) {}

  /**
   * Log in. The throttle comes first: a locked account or an address out of attempts is refused (429)
   * before any password work; a failure counts against both, a success does not. An unknown username is
   * counted and locked like a real one, so lockouts say nothing about which accounts exist.
   */
  async login(username: string, password: string, from: { address: string; log?: Log } = { address: 'local' }): Promise<{ token: string; expiresAt: string; user: User }> {
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
    const expiresAt = new Date(now.getTime() + this.tokenTtlHours * 3_600_000).toISOString();
    await this.ctx.uow.autocommit.users.insertToken(tokenHash(token), found.id, now.toISOString(), expiresAt);
    const { passwordHash: _omit, ...user } = found;
    return { token, expiresAt, user };
  }

  async logout(token: string): Promise<void> {
    await this.ctx.uow.autocommit.users.revokeToken(tokenHash(token), this.ctx.now().toISOString());
  }

  /** The principal behind a bearer token, or undefined when it is unknown, expired or revoked. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const user = await this.ctx.uow.autocommit.users.userForToken(tokenHash(token), this.ctx.now().toISOString());
    return user && this.ctx.principal(user);
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
