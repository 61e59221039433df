// WeCom (企业微信) group robots: `POST /cgi-bin/webhook/send?key=KEY` with a markdown message, or, for an
// emergency, a text message that @-mentions the duty officers by mobile (WeCom's markdown cannot mention by
// mobile). The API answers HTTP 200 with `{ errcode, errmsg }`: 0 is sent, 45009 is more than 20 messages a
// minute to this robot, 93000 is a wrong or removed key. Also the config checker and masker of the channel.

import type { ChannelSender, ChannelTarget, ConfigCheck, OutgoingMessage, SendOptions, SendOutcome } from './channel.js';
import { configField, fitBytes, markdownWithLink, maskSecret, post, robotCredentialOf, robotOutcome, textWithLink, withoutSecrets, type RobotCodes } from './http-send.js';

/** The real API's origin. */
export const WECOM_API = 'https://qyapi.weixin.qq.com';
/** WeCom's limits on a message's content, in UTF-8 bytes: longer content is cut (keeping the case's link). */
export const WECOM_MARKDOWN_MAX_BYTES = 4096;
export const WECOM_TEXT_MAX_BYTES = 2048;

/** The JSON bodies sent to WeCom. */
export type WecomMessage =
  | { msgtype: 'markdown'; markdown: { content: string } }
  | { msgtype: 'text'; text: { content: string; mentioned_mobile_list: string[] } };

const CODES: RobotCodes = {
  service: 'WeCom',
  rateLimited: [45009],
  rejected: [93000],
  retry: [-1],
  hints: {
    45009: 'more than 20 messages a minute to this robot',
    93000: "the robot's key is wrong or the robot was removed from its group: set the channel's key again",
    [-1]: 'WeCom is busy',
  },
  rateWindowMs: 60_000,
};

/** The body for one message: markdown, or for an urgent message text with the mobiles mentioned. */
export function wecomMessage(message: OutgoingMessage): WecomMessage {
  const link = { ref: message.ref, url: message.link };
  if (message.urgent) {
    const content = fitBytes(textWithLink(message.text, message.link), WECOM_TEXT_MAX_BYTES, { ...link, markdown: false });
    return { msgtype: 'text', text: { content, mentioned_mobile_list: [...message.mentionMobiles] } };
  }
  const content = fitBytes(markdownWithLink(message.markdown, message.ref, message.link), WECOM_MARKDOWN_MAX_BYTES, { ...link, markdown: true });
  return { msgtype: 'markdown', markdown: { content } };
}

/** Sends to WeCom group robots; `baseUrl` is the API's origin (a local fake in tests). */
export class WecomSender implements ChannelSender {
  readonly kind = 'wecom' as const;
  private readonly baseUrl: string;

  constructor(baseUrl: string = WECOM_API) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async send(target: ChannelTarget, message: OutgoingMessage, options: SendOptions): Promise<SendOutcome> {
    const key = target.config.key;
    if (typeof key !== 'string' || key === '') {
      return { ok: false, outcome: 'rejected', error: 'the channel has no WeCom robot key: set it in the channel settings' };
    }
    const answer = await post({
      url: `${this.baseUrl}/cgi-bin/webhook/send?key=${encodeURIComponent(key)}`,
      headers: { 'content-type': 'application/json', 'user-agent': 'Gridline/1' },
      body: JSON.stringify(wecomMessage(message)),
      timeoutMs: options.timeoutMs,
    });
    return withoutSecrets('outcome' in answer ? answer : robotOutcome(answer, options.now, CODES), [key]);
  }
}

const KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The key in a bare key or in the robot's full webhook address; null for anything else. */
const wecomKeyOf = (input: string): string | null => robotCredentialOf(input, KEY, { host: 'qyapi.weixin.qq.com', path: '/cgi-bin/webhook/send', param: 'key' });

/**
 * Checks a WeCom channel's config: `{ key }`, the robot's key (8-4-4-4-12 hex) or its whole webhook address
 * `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...` (the key is taken out of it). Stores `{ key }`.
 */
export function checkWecomConfig(input: unknown): ConfigCheck {
  const raw = configField(input, 'key');
  const key = typeof raw === 'string' ? wecomKeyOf(raw) : null;
  if (!key) {
    return {
      ok: false,
      field: 'config.key',
      code: 'invalid_robot_key',
      message:
        "This is not a WeCom robot key. In the WeCom group, open the group robot's settings and copy its webhook address " +
        '(https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...), then paste the whole address or just the key after key= ' +
        '(it looks like xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).',
    };
  }
  return { ok: true, config: { key } };
}

/** The config for the admin API: the key masked (`****` and its last 4 characters). */
export function maskWecomConfig(config: Record<string, unknown>): Record<string, unknown> {
  return { key: maskSecret(config.key) };
}
