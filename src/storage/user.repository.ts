// Users and their bearer tokens (stored only as SHA-256 hashes).

import { selectRows } from './compiled.js';
import type { Kysely } from 'kysely';
import type { Role } from '../domain/types.js';
import type { DB, UserTable } from './schema.js';
import type { SessionRecord, User, UserAccount } from '../domain/records.js';
import type { NewSession, UserStore } from '../ports.js';

export const toUser = (r: Omit<UserTable, 'password_hash' | 'created_at'>): User => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  phone: r.phone,
  role: r.role,
  departmentId: r.department_id,
  jurisdictionId: r.jurisdiction_id,
  locale: r.locale,
  active: r.active === 1,
  platform: r.platform,
  station: r.station,
});

export class UserRepository implements UserStore {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(u: UserAccount): Promise<void> {
    await this.db
      .insertInto('users')
      .values({
        id: u.id,
        username: u.username,
        password_hash: u.passwordHash,
        display_name: u.displayName,
        phone: u.phone,
        role: u.role,
        department_id: u.departmentId,
        jurisdiction_id: u.jurisdictionId,
        locale: u.locale,
        active: u.active ? 1 : 0,
        created_at: u.createdAt,
        platform: u.platform,
        station: u.station,
      })
      .execute();
  }

  async find(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }

  async findMany(ids: string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('users').selectAll().where('id', 'in', ids).execute();
    return rows.map(toUser);
  }

  async withRoles(roles: string[]): Promise<User[]> {
    if (roles.length === 0) return [];
    const rows = await this.db.selectFrom('users').selectAll().where('role', 'in', roles as Role[]).where('active', '=', 1).orderBy('id').execute();
    return rows.map(toUser);
  }

  async byUsername(username: string): Promise<(User & { passwordHash: string }) | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    return row && { ...toUser(row), passwordHash: row.password_hash };
  }

  async list(role?: Role): Promise<User[]> {
    let q = this.db.selectFrom('users').selectAll().orderBy('username');
    if (role) q = q.where('role', '=', role);
    return (await q.execute()).map(toUser);
  }

  async insertToken(s: NewSession): Promise<void> {
    await this.db
      .insertInto('auth_tokens')
      .values({ token_hash: s.tokenHash, id: s.id, user_id: s.userId, device: s.device, created_at: s.createdAt, expires_at: s.expiresAt, revoked_at: null, last_seen_at: null })
      .execute();
  }

  async touchToken(tokenHash: string, at: string): Promise<void> {
    await this.db.updateTable('auth_tokens').set({ last_seen_at: at }).where('token_hash', '=', tokenHash).execute();
  }

  async sessions(userId: string, now: string): Promise<(SessionRecord & { tokenHash: string })[]> {
    const rows = await this.db
      .selectFrom('auth_tokens')
      .select(['token_hash', 'id', 'device', 'created_at', 'expires_at', 'last_seen_at'])
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      // Every token has an id since 013 (new ones from sign-in, older ones from the migration).
      .where('id', 'is not', null)
      .$narrowType<{ id: string }>()
      .orderBy('created_at', 'desc')
      .limit(200)
      .execute();
    return rows.map((r) => ({ tokenHash: r.token_hash, id: r.id, device: r.device, createdAt: r.created_at, expiresAt: r.expires_at, lastSeenAt: r.last_seen_at }));
  }

  async revokeSession(userId: string, id: string, at: string): Promise<boolean> {
    const result = await this.db.updateTable('auth_tokens').set({ revoked_at: at }).where('user_id', '=', userId).where('id', '=', id).where('revoked_at', 'is', null).where('expires_at', '>', at).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async revokeSessions(userId: string, at: string): Promise<number> {
    const result = await this.db.updateTable('auth_tokens').set({ revoked_at: at }).where('user_id', '=', userId).where('revoked_at', 'is', null).where('expires_at', '>', at).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * The active user a live token belongs to: one statement on every request, two primary-key lookups
   * (the token's hash, then its user), reading only what a principal needs (never the password hash).
   * Not cached: a logout or revocation in any process takes effect at once.
   */
  async userForToken(tokenHash: string, now: string): Promise<{ user: User; sessionId: string | null; lastSeenAt: string | null } | undefined> {
    const [row] = await selectRows(this.db, 'userForToken', { tokenHash, now }, (v) =>
      this.db
        .selectFrom('auth_tokens as t')
        .innerJoin('users as u', 'u.id', 't.user_id')
        .select(['u.id', 'u.username', 'u.display_name', 'u.phone', 'u.role', 'u.department_id', 'u.jurisdiction_id', 'u.locale', 'u.active', 'u.platform', 'u.station', 't.id as session_id', 't.last_seen_at'])
        .where('t.token_hash', '=', v.tokenHash)
        .where('t.revoked_at', 'is', null)
        .where('t.expires_at', '>', v.now)
        .where('u.active', '=', 1),
    );
    return row && { user: toUser(row), sessionId: row.session_id, lastSeenAt: row.last_seen_at };
  }

  async revokeToken(tokenHash: string, at: string): Promise<void> {
    await this.db.updateTable('auth_tokens').set({ revoked_at: at }).where('token_hash', '=', tokenHash).execute();
  }
}
