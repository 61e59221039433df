// What the channel tests share: a rendered message to send, a target of each kind, and the check that no
// outcome's error text holds a secret.

import { expect } from 'vitest';
import type { ChannelKind, ChannelTarget, OutgoingMessage, SendOutcome } from '../../src/notify/channel.js';

export const LINK = 'https://gridline.example.org/cases/4f1c2a9e';

/** A dispatched case, as the renderer writes it (the link already in the text and the markdown). */
export function message(over: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    deliveryId: '0190f3a2-7c1e-7d4b-9a60-2f5d1c8e4b21',
    eventType: 'dispatched',
    caseId: '4f1c2a9e',
    ref: 'GL-20240611-0007',
    title: '新案件已派发：占道经营',
    text: `新案件已派发：占道经营\n编号：GL-20240611-0007\n地点：人民路 12 号\n查看案件：${LINK}`,
    markdown: `**新案件已派发：占道经营**\n> 编号：GL-20240611-0007\n> 地点：人民路 12 号\n[查看案件](${LINK})`,
    link: LINK,
    urgent: false,
    mentionMobiles: [],
    payload: { kind: 'dispatched', caseId: '4f1c2a9e', ref: 'GL-20240611-0007', department: '城管一中队', deadline: '2024-06-12T10:00:00.000Z' },
    createdAt: '2024-06-11T09:30:00.000Z',
    ...over,
  };
}

/** An emergency that mentions two duty officers. */
export const urgentMessage = (over: Partial<OutgoingMessage> = {}): OutgoingMessage =>
  message({ eventType: 'emergency', title: '紧急：井盖缺失', urgent: true, mentionMobiles: ['13800138000', '13900139000'], ...over });

export function target(kind: ChannelKind, config: Record<string, unknown>): ChannelTarget {
  return { id: `ch-${kind}`, kind, name: `${kind} channel`, config };
}

/** Fails when the outcome's error text holds any of the secrets (or their URL-encoded forms). */
export function expectNoSecrets(outcome: SendOutcome, secrets: readonly string[]): void {
  if (outcome.ok) return;
  for (const secret of secrets) {
    expect(outcome.error).not.toContain(secret);
    expect(outcome.error).not.toContain(encodeURIComponent(secret));
  }
}

/** The time a promise takes, and its value. */
export async function timed<T>(p: Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await p;
  return { value, ms: performance.now() - start };
}
