// Who hears what: the notification kinds, which kinds a case event raises, and the plan of one event's
// messages (the reporter's inbox, the subscribed inboxes and channels, supervisors of an unsigned
// emergency). Pure: the fan-out (services/notify/fanout.ts) loads the facts and stores the plan.

import { caseAccess, type CaseReach } from './access.js';
import { PROGRAMME_SUBSCRIBABLE_KINDS, type ProgrammeKind } from './programme-notify.js';
import type { EventAction } from './records.js';
import type { Actor, CaseStatus, Urgency } from './types.js';
import { isWithin } from './workflow.js';

/** What subscriptions can ask for: events about cases, as staff and groups hear them. */
export const SUBSCRIBABLE_KINDS = [
  'new_report',
  'emergency',
  'dispatched',
  'returned',
  'extension_requested',
  'reminder',
  'supervision',
  'resolved',
  'closed',
  'rated',
  'reopened',
  'referred_in',
  'emergency_unsigned',
] as const;
export type SubscribableKind = (typeof SUBSCRIBABLE_KINDS)[number];

/** What the reporter always hears in their inbox, whatever the subscriptions. */
export const REPORTER_KINDS = ['receipt', 'accepted', 'rejected', 'dispatched', 'resolved', 'closed', 'rate_request', 'reopened'] as const;
export type ReporterKind = (typeof REPORTER_KINDS)[number];

/** What one case event (or a broken channel) makes people hear. */
export type CaseNotifyKind = SubscribableKind | ReporterKind | 'channel_broken';
export type NotifyKind = CaseNotifyKind | ProgrammeKind;

/** Everything a subscription may name: the case kinds and the programme's (domain/programme-notify.ts). */
export const SUBSCRIPTION_KINDS: readonly string[] = [...SUBSCRIBABLE_KINDS, ...PROGRAMME_SUBSCRIBABLE_KINDS];

/** The kinds a subdistrict's group hears when it is attached (as its WeChat group does today). */
export const GROUP_KINDS: readonly SubscribableKind[] = ['new_report', 'emergency', 'resolved', 'closed'];

/** The subscribable kinds one case event raises. */
export function eventKinds(action: EventAction, urgency: Urgency, data: Record<string, unknown>): SubscribableKind[] {
  switch (action) {
    case 'report':
      return urgency === 'emergency' ? ['emergency', 'new_report'] : ['new_report'];
    case 'dispatch':
    case 'record-decision':
      return ['dispatched'];
    case 'return':
      return ['returned'];
    case 'request-extension':
      return ['extension_requested'];
    case 'remind':
      return ['reminder'];
    case 'supervise':
      return ['supervision'];
    case 'resolve':
      return ['resolved'];
    case 'close':
      return ['closed'];
    case 'rate':
      return ['rated'];
    case 'reopen':
      return ['reopened'];
    case 'refer':
      return ['referred_in'];
    case 'alert':
      return data.reason === 'emergency_unsigned' ? ['emergency_unsigned'] : [];
    default:
      return [];
  }
}

/** What the reporter hears of one event of their case, in order. */
export function reporterKinds(action: EventAction): ReporterKind[] {
  switch (action) {
    case 'report':
      return ['receipt'];
    case 'accept':
      return ['accepted'];
    case 'reject':
      return ['rejected'];
    case 'dispatch':
    case 'record-decision':
      return ['dispatched'];
    case 'resolve':
      return ['resolved'];
    case 'close':
      return ['closed', 'rate_request'];
    case 'reopen':
      return ['reopened'];
    default:
      return [];
  }
}

/** A subscription as the planner needs it: which kinds, about what, to whom. */
export interface SubscriptionRule {
  id: string;
  kinds: readonly string[];
  channelId: string | null;
  userId: string | null;
  departmentId: string | null;
  /** The path of the subscribed jurisdiction (everything under it matches); null: any. */
  jurisdictionPath: string | null;
  categoryId: string | null;
}

/** The facts of one event and its case that decide who hears it. */
export interface EventFacts {
  action: EventAction;
  data: Record<string, unknown>;
  /** Who acted: nobody hears of their own action in their inbox. */
  actorId: string | null;
  status: CaseStatus;
  urgency: Urgency;
  categoryId: string;
  reach: CaseReach;
  /** The path of every unit the case is in or was reported in (its handling chain and its origin). */
  unitPaths: string[];
}

/** A user whom a rule may send to: the inbox only gets cases the user may see. */
export interface Recipient {
  actor: Actor;
  active: boolean;
}

export interface PlannedInbox<K extends NotifyKind = NotifyKind> {
  userId: string;
  kind: K;
}

export interface PlannedChannel<K extends NotifyKind = NotifyKind> {
  channelId: string;
  kind: K;
}

export interface NotifyPlan {
  kinds: SubscribableKind[];
  inbox: PlannedInbox<CaseNotifyKind>[];
  channels: PlannedChannel<CaseNotifyKind>[];
}

/** The kind a target hears when several of its rules match one event: the first of these. */
const PRIORITY: readonly SubscribableKind[] = ['emergency', 'emergency_unsigned', ...SUBSCRIBABLE_KINDS];

function matches(rule: SubscriptionRule, kind: SubscribableKind, e: EventFacts): boolean {
  if (!rule.kinds.includes(kind)) return false;
  if (rule.categoryId && rule.categoryId !== e.categoryId) return false;
  if (rule.departmentId) {
    const department = kind === 'dispatched' && typeof e.data.departmentId === 'string' ? e.data.departmentId : e.reach.departmentId;
    if (department !== rule.departmentId && !e.reach.assistingDepartmentIds.includes(rule.departmentId)) return false;
  }
  if (rule.jurisdictionPath) {
    // A referral is news to the subdistrict it went to, not to every unit the case was in.
    const paths = kind === 'referred_in' ? [e.reach.jurisdictionPath] : e.unitPaths;
    if (!paths.some((p) => isWithin(p, rule.jurisdictionPath))) return false;
  }
  return true;
}

/**
 * Who hears one event: the reporter (always, in their inbox), each subscribed channel and inbox once (with
 * the most pressing kind that matched), and, for an emergency not signed in time, the supervisors above it.
 * An inbox only gets a case its user may see, and never news of the user's own action.
 */
export function planNotifications(
  e: EventFacts,
  rules: readonly SubscriptionRule[],
  users: ReadonlyMap<string, Recipient>,
  supervisors: readonly Recipient[] = [],
): NotifyPlan {
  const kinds = eventKinds(e.action, e.urgency, e.data);
  const inbox: PlannedInbox<CaseNotifyKind>[] = [];
  const heard = new Set<string>();
  const reporter = users.get(e.reach.reporterId);
  if (reporter?.active && e.actorId !== e.reach.reporterId) {
    for (const kind of reporterKinds(e.action)) inbox.push({ userId: e.reach.reporterId, kind });
  } else if (reporter?.active && e.action === 'report') {
    // The receipt is the one message about one's own action: the proof that the report arrived.
    inbox.push({ userId: e.reach.reporterId, kind: 'receipt' });
  }
  if (inbox.length > 0) heard.add(e.reach.reporterId);

  const mayHear = (user: Recipient | undefined): user is Recipient =>
    user !== undefined && user.active && user.actor.id !== e.actorId && !heard.has(user.actor.id) && caseAccess(user.actor, e.reach) !== 'none';

  const channels: PlannedChannel<CaseNotifyKind>[] = [];
  const toChannel = new Set<string>();
  for (const kind of PRIORITY.filter((k) => kinds.includes(k))) {
    for (const rule of rules) {
      if (!matches(rule, kind, e)) continue;
      if (rule.channelId) {
        if (toChannel.has(rule.channelId)) continue;
        toChannel.add(rule.channelId);
        channels.push({ channelId: rule.channelId, kind });
      } else if (rule.userId) {
        const user = users.get(rule.userId);
        if (!mayHear(user)) continue;
        heard.add(user.actor.id);
        inbox.push({ userId: user.actor.id, kind });
      }
    }
  }
  if (kinds.includes('emergency_unsigned')) {
    for (const user of supervisors) {
      if (!mayHear(user)) continue;
      heard.add(user.actor.id);
      inbox.push({ userId: user.actor.id, kind: 'emergency_unsigned' });
    }
  }
  return { kinds, inbox, channels };
}
