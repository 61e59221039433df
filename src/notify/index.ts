// The outside channels in one place: the senders made from the deployment's settings, and each kind's config
// checker and masker behind one call that dispatches on the kind (for the admin API). Re-exports the
// channels' modules, so the rest of the server imports from here.

import { CHANNEL_KINDS, type ChannelKind, type ChannelSender, type ConfigCheck } from './channel.js';
import { checkDingtalkConfig, DingtalkSender, maskDingtalkConfig } from './dingtalk.js';
import { checkEmailConfig, EmailSender, maskEmailConfig } from './email.js';
import { checkWebhookConfig, maskWebhookConfig, WebhookSender } from './webhook.js';
import { checkWecomConfig, maskWecomConfig, WecomSender } from './wecom.js';

export * from './channel.js';
export { checkDingtalkConfig, DINGTALK_API, DingtalkSender, dingtalkMessage, dingtalkSign, maskDingtalkConfig, type DingtalkMessage } from './dingtalk.js';
export { checkEmailConfig, EMAIL_MAX_RECIPIENTS, EmailSender, maskEmailConfig, renderEmailHtml, type EmailSenderOptions } from './email.js';
export { MAX_ANSWER_BYTES } from './http-send.js';
export { checkWebhookConfig, maskWebhookConfig, signWebhook, verifyWebhookSignature, WEBHOOK_TOLERANCE_S, webhookBody, WebhookSender, type WebhookBody } from './webhook.js';
export { checkWecomConfig, maskWecomConfig, WECOM_API, wecomMessage, WecomSender, type WecomMessage } from './wecom.js';

/** The deployment's settings for the outside channels. */
export interface SendersOptions {
  /** The WeCom API's origin (default https://qyapi.weixin.qq.com). */
  wecomUrl?: string;
  /** The DingTalk API's origin (default https://oapi.dingtalk.com). */
  dingtalkUrl?: string;
  /** `smtp://user:pass@host:port` or `smtps://...`; without it there is no email channel. */
  smtpUrl?: string;
  /** The From address of the emails; required with smtpUrl. */
  smtpFrom?: string;
}

/**
 * One sender per channel kind. Email is absent when no SMTP URL is configured. Throws when an SMTP URL is
 * given without a From address or is not smtp:// or smtps:// (the message never holds the password).
 */
export function sendersFrom(options: SendersOptions): Map<ChannelKind, ChannelSender> {
  const senders = new Map<ChannelKind, ChannelSender>();
  senders.set('wecom', new WecomSender(options.wecomUrl || undefined));
  senders.set('dingtalk', new DingtalkSender(options.dingtalkUrl || undefined));
  senders.set('webhook', new WebhookSender());
  if (options.smtpUrl) {
    if (!options.smtpFrom) throw new Error('Email notifications need a From address as well as the SMTP URL (smtpFrom)');
    senders.set('email', new EmailSender({ url: options.smtpUrl, from: options.smtpFrom }));
  }
  return senders;
}

/** Releases what the senders hold (the email sender's SMTP connections). */
export function closeSenders(senders: ReadonlyMap<ChannelKind, ChannelSender>): void {
  for (const sender of senders.values()) if (sender instanceof EmailSender) sender.close();
}

const CHECKERS: Record<ChannelKind, (input: unknown) => ConfigCheck> = {
  wecom: checkWecomConfig,
  dingtalk: checkDingtalkConfig,
  webhook: checkWebhookConfig,
  email: checkEmailConfig,
};

const MASKERS: Record<ChannelKind, (config: Record<string, unknown>) => Record<string, unknown>> = {
  wecom: maskWecomConfig,
  dingtalk: maskDingtalkConfig,
  webhook: maskWebhookConfig,
  email: maskEmailConfig,
};

const isKind = (kind: string): kind is ChannelKind => (CHANNEL_KINDS as readonly string[]).includes(kind);

/** Checks a channel's config for its kind; an unknown kind is refused on the field `kind` (code `invalid_channel_kind`). */
export function checkChannelConfig(kind: string, input: unknown): ConfigCheck {
  if (!isKind(kind)) {
    return { ok: false, field: 'kind', code: 'invalid_channel_kind', message: `The channel kind must be one of ${CHANNEL_KINDS.join(', ')}.` };
  }
  return CHECKERS[kind](input);
}

/** A stored config for the admin API, its secrets masked; only the kind's known fields are kept. */
export function maskChannelConfig(kind: ChannelKind, config: Record<string, unknown>): Record<string, unknown> {
  return MASKERS[kind](config);
}
