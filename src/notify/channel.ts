// The one small interface every outside channel is behind (WeCom and DingTalk group robots, generic
// webhooks, email). The delivery worker (services/notify/deliver.ts) claims a delivery, asks the channel's
// sender to send it once, and decides from the outcome what happens next: delivered, tried again later,
// dead-lettered, or the channel marked broken. Senders never retry, sleep or queue themselves, never log,
// and never put a secret into an outcome's error text.

/** The kinds of outside channel. The in-app inbox is not one: it is written in the database itself. */
export const CHANNEL_KINDS = ['wecom', 'dingtalk', 'webhook', 'email'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** A configured channel as its sender needs it, secrets included (they never leave the server). */
export interface ChannelTarget {
  id: string;
  kind: ChannelKind;
  name: string;
  /**
   * wecom: `{ key }` (the robot's webhook key); dingtalk: `{ accessToken, secret }` (secret: the robot's
   * 加签 secret, SEC...); webhook: `{ url, secret }`; email: `{ to: string[] }`.
   */
  config: Record<string, unknown>;
}

/** One rendered message for one channel, in the channel's language. */
export interface OutgoingMessage {
  /** Stable across every attempt of this delivery: receivers de-duplicate on it. */
  deliveryId: string;
  /** The notification kind (`dispatched`, `emergency`, ...), sent as the webhook's event type. */
  eventType: string;
  /** The case it tells of; null for news of a member or a redemption (the payload says which). */
  caseId: string | null;
  /** The reference shown with the link: the case's (NJ-20260611-0007), the member's, the redemption's. */
  ref: string;
  /** A short title: the email's subject, DingTalk's markdown title. */
  title: string;
  /** Plain text (WeCom text messages, the email's text part). */
  text: string;
  /** Markdown (WeCom and DingTalk markdown messages). */
  markdown: string;
  /** Where to open the case, built from the configured public URL; null when none is configured. */
  link: string | null;
  /** An emergency: robots send text with the duty officers' mobiles mentioned. */
  urgent: boolean;
  /** Mobiles to @-mention on an urgent message (WeCom `mentioned_mobile_list`, DingTalk `at.atMobiles`). */
  mentionMobiles: string[];
  /** The structured notification: the webhook's JSON body carries it whole. */
  payload: Record<string, unknown>;
  /** When the notification was created (ISO 8601). */
  createdAt: string;
}

/** How one send ended. `error` is for admins (the dead-letter list): never a key, a secret or a password. */
export type SendOutcome =
  | { ok: true }
  /** Worth trying again: a timeout, a closed connection, a 5xx, a network error. */
  | { ok: false; outcome: 'retry'; error: string; retryAfterMs?: number }
  /** The receiver says too many (HTTP 429, WeCom 45009, DingTalk 130101): try again after a while. */
  | { ok: false; outcome: 'rate_limited'; error: string; retryAfterMs?: number }
  /** The channel's key or signature is refused (WeCom 93000, DingTalk 310000, a 401/403): the channel is broken until an admin fixes it. */
  | { ok: false; outcome: 'rejected'; error: string }
  /** This message can never be delivered as it is (another 4xx, a malformed message): dead-letter it now. */
  | { ok: false; outcome: 'failed'; error: string };

export interface SendOptions {
  /** Give up on this attempt after this long (the outcome is then `retry`). */
  timeoutMs: number;
  /** The moment of the send (signatures and timestamps use it). */
  now: Date;
}

export interface ChannelSender {
  readonly kind: ChannelKind;
  send(target: ChannelTarget, message: OutgoingMessage, options: SendOptions): Promise<SendOutcome>;
}

/** A channel's configuration as an admin sent it, checked: the config to store, or the field that is wrong. */
export type ConfigCheck = { ok: true; config: Record<string, unknown> } | { ok: false; field: string; code: string; message: string };
