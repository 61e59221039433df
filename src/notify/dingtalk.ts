// DingTalk (钉钉) group robots with 加签 signing: `POST /robot/send?access_token=T&timestamp=TS&sign=S`, where
// TS is the send's moment in ms and S = urlEncode(base64(HMAC-SHA256(secret, TS + "\n" + secret))), with
// a markdown message; an emergency @-mentions the duty officers (in `at.atMobiles` and, as DingTalk shows
// a mention only then, as `@mobile` in the text too). The API answers HTTP 200 with `{ errcode, errmsg }`:
// 0 is sent, 130101 is more than 20 messages a minute, 310000 a failed signature (or keyword or IP) check,
// 300001/300005 an unknown token. Also the config checker and masker of the channel.

import { createHmac } from 'node:crypto';
import type { ChannelSender, ChannelTarget, ConfigCheck, OutgoingMessage, SendOptions, SendOutcome } from './channel.js';
import { configField, markdownWithLink, maskSecret, post, robotCredentialOf, robotOutcome, withoutSecrets, type RobotCodes } from './http-send.js';

/** The real API's origin. */
export const DINGTALK_API = 'https://oapi.dingtalk.com';

/** The JSON body sent to DingTalk. */
export interface DingtalkMessage {
  msgtype: 'markdown';
  markdown: { title: string; text: string };
  at: { atMobiles: string[]; isAtAll: false };
}

const CODES: RobotCodes = {
  service: 'DingTalk',
  rateLimited: [130101, 410100],
  rejected: [310000, 300001, 300005],
  retry: [-1],
  hints: {
    130101: 'more than 20 messages a minute to this robot',
    410100: 'more than 20 messages a minute to this robot',
    310000: "the robot refused the signature (or a keyword or IP address check): set the channel's secret again and check the robot's security settings",
    300001: "the robot's access token is unknown (the robot was removed?): set the channel's access token again",
    300005: "the robot's access token is unknown (the robot was removed?): set the channel's access token again",
    [-1]: 'DingTalk is busy',
  },
  rateWindowMs: 60_000,
};

/** The signature of a send at `timestampMs`: base64(HMAC-SHA256(secret, `${timestampMs}\n${secret}`)), not yet URL-encoded. */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}

/** The body for one message: markdown, with the mobiles @-mentioned (in `at` and in the text) when urgent. */
export function dingtalkMessage(message: OutgoingMessage): DingtalkMessage {
  const mobiles = message.urgent ? [...message.mentionMobiles] : [];
  let text = markdownWithLink(message.markdown, message.ref, message.link);
  if (mobiles.length > 0) text += `\n\n${mobiles.map((m) => `@${m}`).join(' ')}`;
  return { msgtype: 'markdown', markdown: { title: message.title, text }, at: { atMobiles: mobiles, isAtAll: false } };
}

/** Sends to DingTalk group robots; `baseUrl` is the API's origin (a local fake in tests). */
export class DingtalkSender implements ChannelSender {
  readonly kind = 'dingtalk' as const;
  private readonly baseUrl: string;

  constructor(baseUrl: string = DINGTALK_API) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async send(target: ChannelTarget, message: OutgoingMessage, options: SendOptions): Promise<SendOutcome> {
    const { accessToken, secret } = target.config;
    if (typeof accessToken !== 'string' || accessToken === '' || typeof secret !== 'string' || secret === '') {
      return { ok: false, outcome: 'rejected', error: 'the channel has no DingTalk access token or secret: set them in the channel settings' };
    }
    const timestamp = options.now.getTime();
    const sign = dingtalkSign(secret, timestamp);
    const query = new URLSearchParams({ access_token: accessToken, timestamp: String(timestamp), sign });
    const answer = await post({
      url: `${this.baseUrl}/robot/send?${query.toString()}`,
      headers: { 'content-type': 'application/json', 'user-agent': 'Gridline/1' },
      body: JSON.stringify(dingtalkMessage(message)),
      timeoutMs: options.timeoutMs,
    });
    return withoutSecrets('outcome' in answer ? answer : robotOutcome(answer, options.now, CODES), [accessToken, secret, sign]);
  }
}

const TOKEN = /^[0-9a-f]{64}$/i;
const SECRET = /^SEC[0-9a-fA-F]{64}$/;

/** The token in a bare token or in the robot's full webhook address; null for anything else. */
const accessTokenOf = (input: string): string | null => robotCredentialOf(input, TOKEN, { host: 'oapi.dingtalk.com', path: '/robot/send', param: 'access_token' });

/**
 * Checks a DingTalk channel's config: `{ accessToken, secret }`, the token (64 hex characters) or the robot's
 * whole webhook address `https://oapi.dingtalk.com/robot/send?access_token=...`, and the robot's 加签 secret
 * (`SEC` and 64 hex characters; signing is required). Stores `{ accessToken, secret }`.
 */
export function checkDingtalkConfig(input: unknown): ConfigCheck {
  const rawToken = configField(input, 'accessToken');
  const accessToken = typeof rawToken === 'string' ? accessTokenOf(rawToken) : null;
  if (!accessToken) {
    return {
      ok: false,
      field: 'config.accessToken',
      code: 'invalid_robot_key',
      message:
        "This is not a DingTalk robot access token. In the DingTalk group, open the robot's settings and copy its webhook address " +
        '(https://oapi.dingtalk.com/robot/send?access_token=...), then paste the whole address or just the 64 characters after access_token=.',
    };
  }
  const rawSecret = configField(input, 'secret');
  const secret = typeof rawSecret === 'string' ? rawSecret.trim() : '';
  if (!SECRET.test(secret)) {
    return {
      ok: false,
      field: 'config.secret',
      code: 'invalid_robot_key',
      message:
        "This is not a DingTalk robot secret. In the robot's security settings (安全设置), turn on signing (加签) and copy the secret " +
        'it shows: it starts with SEC and has 64 more characters.',
    };
  }
  return { ok: true, config: { accessToken, secret } };
}

/** The config for the admin API: token and secret masked (`****` and their last 4 characters). */
export function maskDingtalkConfig(config: Record<string, unknown>): Record<string, unknown> {
  return { accessToken: maskSecret(config.accessToken), secret: maskSecret(config.secret) };
}
