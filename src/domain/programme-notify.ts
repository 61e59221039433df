// Who hears of the programme's steps (issue 11): each recruitment step and each redemption step tells the
// people it concerns. The member hears of their own membership and money in their inbox (once they have an
// account: an application made while signed in has one from the start, others from the appointment); the
// platform's station hears every step of its riders; the subdistrict's reviewers and the supervisors who
// approve payouts hear, through their subscriptions (an inbox or a group's channel), of the steps that
// wait for them. Pure: the fan-out (services/notify/fanout.ts) loads the facts and stores the plan.

import { may } from './access.js';
import type { MemberEventAction } from './members.js';
import type { PlannedChannel, PlannedInbox, Recipient, SubscriptionRule } from './notify.js';
import type { RedemptionStatus } from './points.js';
import { isWithin } from './workflow.js';

export const MEMBER_KINDS = ['member_applied', 'member_recommended', 'member_approved', 'member_rejected', 'member_appointed', 'member_suspended', 'member_reinstated', 'member_retired'] as const;
export type MemberKind = (typeof MEMBER_KINDS)[number];

export const REDEMPTION_KINDS = ['redemption_requested', 'redemption_approved', 'redemption_rejected', 'redemption_paid'] as const;
export type RedemptionKind = (typeof REDEMPTION_KINDS)[number];

export type ProgrammeKind = MemberKind | RedemptionKind;

/** What subscriptions can ask for of the programme: the steps that wait for someone's work, and appointments for a group's news. */
export const PROGRAMME_SUBSCRIBABLE_KINDS = ['member_applied', 'member_recommended', 'member_appointed', 'redemption_requested'] as const;
export type ProgrammeSubscribableKind = (typeof PROGRAMME_SUBSCRIBABLE_KINDS)[number];

/** The redemption steps, as the programme's outbox names them. */
export type RedemptionStep = 'requested' | Exclude<RedemptionStatus, 'requested'>;

export const memberKind = (action: MemberEventAction): MemberKind => {
  switch (action) {
    case 'apply':
      return 'member_applied';
    case 'recommend':
      return 'member_recommended';
    case 'approve':
      return 'member_approved';
    case 'reject':
      return 'member_rejected';
    case 'appoint':
      return 'member_appointed';
    case 'suspend':
      return 'member_suspended';
    case 'reinstate':
      return 'member_reinstated';
    case 'retire':
      return 'member_retired';
  }
};

export const redemptionKind = (step: RedemptionStep): RedemptionKind => `redemption_${step}`;

/** The facts of one programme step that decide who hears it. */
export interface ProgrammeFacts {
  kind: ProgrammeKind;
  /** Who took the step (null: the applicant on the open form); nobody hears of their own step in their inbox. */
  actorId: string | null;
  /** The member it is about: their account (null until they have one), platform and home's path. */
  memberUserId: string | null;
  platform: string;
  homePath: string;
}

export interface ProgrammePlan {
  inbox: PlannedInbox<ProgrammeKind>[];
  channels: PlannedChannel<ProgrammeKind>[];
}

/** The capability a staff reader needs to hear of a kind: members for recruitment, redemptions for money. */
const capabilityFor = (kind: ProgrammeKind) => (kind.startsWith('member_') ? 'manage_members' : 'manage_redemptions') as 'manage_members' | 'manage_redemptions';

/** A subscription rule asks for this step: its kind, and the member's home within its jurisdiction; a department or category filter is about cases, so never matches. */
function matches(rule: SubscriptionRule, f: ProgrammeFacts): boolean {
  if (!rule.kinds.includes(f.kind)) return false;
  if (rule.departmentId || rule.categoryId) return false;
  return rule.jurisdictionPath === null || isWithin(f.homePath, rule.jurisdictionPath);
}

/**
 * Who hears one programme step: the member (always, when they have an account and did not take the step
 * themselves), every station of the member's platform whose area holds the member's home (every step but
 * money: a station hears of its riders' membership, never of their redemptions), and each subscribed
 * inbox and channel once. A subscribed inbox hears only what its user may act on there: the steps of the
 * members of their jurisdiction, with the capability the kind needs.
 */
export function planProgrammeNotifications(f: ProgrammeFacts, rules: readonly SubscriptionRule[], users: ReadonlyMap<string, Recipient>, stations: readonly Recipient[]): ProgrammePlan {
  const inbox: PlannedInbox<ProgrammeKind>[] = [];
  const heard = new Set<string>();
  const hear = (userId: string) => {
    heard.add(userId);
    inbox.push({ userId, kind: f.kind });
  };
  const fresh = (r: Recipient | undefined): r is Recipient => r !== undefined && r.active && r.actor.id !== f.actorId && !heard.has(r.actor.id);

  const member = f.memberUserId ? users.get(f.memberUserId) : undefined;
  if (fresh(member) && f.kind !== 'member_applied') hear(member.actor.id);
  if (f.kind.startsWith('member_')) {
    for (const station of stations) {
      if (fresh(station) && station.actor.role === 'employer' && station.actor.platform === f.platform && isWithin(f.homePath, station.actor.jurisdictionPath)) hear(station.actor.id);
    }
  }

  const channels: PlannedChannel<ProgrammeKind>[] = [];
  const toChannel = new Set<string>();
  const capability = capabilityFor(f.kind);
  for (const rule of rules) {
    if (!matches(rule, f)) continue;
    if (rule.channelId) {
      if (toChannel.has(rule.channelId)) continue;
      toChannel.add(rule.channelId);
      channels.push({ channelId: rule.channelId, kind: f.kind });
    } else if (rule.userId) {
      const user = users.get(rule.userId);
      if (!fresh(user) || !may(user.actor, capability)) continue;
      if (user.actor.role !== 'admin' && !isWithin(f.homePath, user.actor.jurisdictionPath)) continue;
      hear(user.actor.id);
    }
  }
  return { inbox, channels };
}
