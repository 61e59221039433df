// The one access policy (src/domain/access.ts): what each role may do whatever the record, which cases
// it lists and whose map counts it sees. The HTTP gates (`requires`) and the services ask these tables,
// so this matrix is what every route enforces.

import { describe, expect, it } from 'vitest';
import { betterAccess, CAPABILITIES, caseScope, clusterScope, followsMerged, may, requireCapability, type Capability } from '../../src/domain/access.js';
import { DomainError } from '../../src/domain/errors.js';
import { ROLES, type Actor, type Role } from '../../src/domain/types.js';

const actor = (role: Role, extra: Partial<Actor> = {}): Actor => ({ id: `${role}-1`, role, departmentId: null, jurisdictionPath: null, ...extra });

describe('the access policy', () => {
  it('gives each capability to exactly these roles', () => {
    const matrix = Object.fromEntries((Object.keys(CAPABILITIES) as Capability[]).map((c) => [c, ROLES.filter((r) => may(actor(r), c))]));
    expect(matrix).toEqual({
      manage_users: ['admin'],
      manage_calendar: ['admin'],
      import_boundaries: ['admin'],
      manage_lockouts: ['admin'],
      manage_notifications: ['dispatcher', 'admin'],
      manage_deliveries: ['admin'],
      manage_dispatch_rules: ['dispatcher', 'admin'],
      manage_members: ['dispatcher', 'supervisor', 'admin'],
      view_members: ['dispatcher', 'supervisor', 'admin', 'employer'],
      manage_points_rules: ['admin'],
      reverse_points: ['regulator', 'supervisor', 'admin'],
      manage_redemptions: ['supervisor', 'admin'],
      manage_programme: ['admin'],
      run_sweep: ['supervisor', 'admin'].sort((a, b) => ROLES.indexOf(a as Role) - ROLES.indexOf(b as Role)),
      send_media: ROLES.filter((r) => r !== 'admin' && r !== 'employer'),
      // Figures: every staff role over what it may see; never a rider or a platform's station.
      view_kpis: ROLES.filter((r) => r !== 'reporter' && r !== 'employer'),
    });
  });

  it('refuses with 403 role_not_allowed naming the roles that may', () => {
    expect(() => requireCapability(actor('admin'), 'manage_users')).not.toThrow();
    try {
      requireCapability(actor('dispatcher', { jurisdictionPath: '/lhasa/najin' }), 'run_sweep');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ kind: 'forbidden', code: 'role_not_allowed', details: { roles: ['admin', 'supervisor'] } });
    }
  });

  it('scopes the case list by role: all, a jurisdiction, a department (a regulator also its food-safety area), own reports', () => {
    expect(caseScope(actor('admin'))).toEqual({ kind: 'all' });
    expect(caseScope(actor('dispatcher', { jurisdictionPath: '/l/najin' }))).toEqual({ kind: 'jurisdiction', path: '/l/najin' });
    expect(caseScope(actor('handler', { departmentId: 'd1', jurisdictionPath: '/l/najin' }))).toEqual({ kind: 'department', departmentId: 'd1', foodSafetyPath: null });
    expect(caseScope(actor('regulator', { departmentId: 'd2', jurisdictionPath: '/l/najin' }))).toEqual({ kind: 'department', departmentId: 'd2', foodSafetyPath: '/l/najin' });
    expect(caseScope(actor('reporter'))).toEqual({ kind: 'reporter', reporterId: 'reporter-1' });
    expect(() => caseScope(actor('supervisor'))).toThrow(expect.objectContaining({ code: 'no_jurisdiction' }));
    expect(() => caseScope(actor('handler'))).toThrow(expect.objectContaining({ code: 'no_department' }));
    // A platform's station keeps its riders in the programme; cases are not its business.
    expect(() => caseScope(actor('employer', { jurisdictionPath: '/l/najin', platform: 'meituan' }))).toThrow(expect.objectContaining({ kind: 'forbidden', code: 'role_not_allowed' }));
  });

  it('shows map counts to admins and command centres only', () => {
    expect(clusterScope(actor('admin'))).toEqual({ kind: 'all' });
    expect(clusterScope(actor('supervisor', { jurisdictionPath: '/l/najin' }))).toEqual({ kind: 'within', path: '/l/najin' });
    expect(clusterScope(actor('dispatcher'))).toEqual({ kind: 'points' });
    for (const role of ['handler', 'regulator', 'reporter'] as const) expect(clusterScope(actor(role, { jurisdictionPath: '/l/najin', departmentId: 'd' }))).toEqual({ kind: 'points' });
  });

  it('lets a rider follow a case their own report was merged into, and no one else', async () => {
    const rider = actor('reporter');
    const merged = (ids: string[]) => async () => ids;
    expect(await followsMerged(rider, 'none', merged(['someone', rider.id]))).toBe('reporter');
    expect(await followsMerged(rider, 'none', merged(['someone']))).toBe('none');
    // Staff who cannot see the case do not see it because some report merged into it is theirs.
    const handler = actor('handler', { departmentId: 'd1' });
    expect(await followsMerged(handler, 'none', merged([handler.id]))).toBe('none');
    // Access already held is kept.
    expect(await followsMerged(rider, 'handling_chain', merged([]))).toBe('handling_chain');
  });

  it('reads the merged reports only when the answer can change', async () => {
    let asked = 0;
    const merged = async () => {
      asked++;
      return ['reporter-1'];
    };
    await followsMerged(actor('handler', { departmentId: 'd1' }), 'none', merged);
    await followsMerged(actor('reporter'), 'reporter', merged);
    expect(asked).toBe(0);
    expect(await followsMerged(actor('reporter'), 'none', merged)).toBe('reporter');
    expect(asked).toBe(1);
  });

  it('sees a thing reached through several cases through the best of them', () => {
    expect(betterAccess('none', 'oversight')).toBe('oversight');
    expect(betterAccess('reporter', 'oversight')).toBe('reporter');
    expect(betterAccess('reporter', 'handling_chain')).toBe('handling_chain');
    expect(betterAccess('handling_chain', 'none')).toBe('handling_chain');
  });
});
