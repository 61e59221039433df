// Users and their bearer tokens (stored only as SHA-256 hashes).

import { selectRows } from './compiled.js';
import type { Kysely } from 'kysely';
import type { Role } from '../domain/types.js';
import type { DB, UserTable } from './schema.js';
import type { User, UserAccount } from '../domain/records.js';
import type { UserStore } from '../ports.js';

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

  async insertToken(tokenHash: string, userId: string, createdAt: string, expiresAt: string): Promise<void> {
    await this.db.insertInto('auth_tokens').values({ token_hash: tokenHash, user_id: userId, created_at: createdAt, expires_at: expiresAt, revoked_at: null }).execute();
  }

  /**
   * The active user a live token belongs to: one statement on every request, two primary-key lookups
   * (the token's hash, then its user), reading only what a principal needs (never the password hash).
   * Not cached: a logout or revocation in any process takes effect at once.
   */
  async userForToken(tokenHash: string, now: string): Promise<User | undefined> {
    const [row] = await selectRows(this.db, 'userForToken', { tokenHash, now }, (v) =>
      this.db
        .selectFrom('auth_tokens as t')
        .innerJoin('users as u', 'u.id', 't.user_id')
        .select(['u.id', 'u.username', 'u.display_name', 'u.phone', 'u.role', 'u.department_id', 'u.jurisdiction_id', 'u.locale', 'u.active', 'u.platform', 'u.station'])
        .where('t.token_hash', '=', v.tokenHash)
        .where('t.revoked_at', 'is', null)
        .where('t.expires_at', '>', v.now)
        .where('u.active', '=', 1),
    );
    return row && toUser(row);
  }

  async revokeToken(tokenHash: string, at: string): Promise<void> {
    await this.db.updateTable('auth_tokens').set({ revoked_at: at }).where('token_hash', '=', tokenHash).execute();
  }
}
