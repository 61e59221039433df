// Helpers shared by the HTTP tests: log in through the API, call it with a bearer token, read error bodies.

import { deflateSync } from 'node:zlib';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { MediaInfo } from '../../src/services/media.views.js';
import { PASSWORD, type World } from '../support/world.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
export type Payload = string | Buffer | object;

export interface ErrorJson {
  error: { code: string; message: string; field?: string; details?: Record<string, unknown> };
}

export interface LoginJson {
  token: string;
  expiresAt: string;
  user: { id: string; username: string; displayName: string; role: string };
}

export interface ClockJson {
  stage: string;
  state: string;
  dueAt: string;
  completedAt: string | null;
}

export interface EventJson {
  seq: number;
  action: string;
  fromStatus: string | null;
  toStatus: string;
  note: string | null;
  data: Record<string, unknown>;
  evidence: string[];
}

export interface CaseJson {
  id: string;
  ref: string;
  status: string;
  statusText: string;
  category: { id: string; code: string; name: string };
  urgency: string;
  description: string;
  address: string | null;
  location: { lat: number; lon: number; coordSys: string };
  department: { id: string; code: string } | null;
  media: string[];
  reportedAt: string;
  overdue: boolean;
  clocks: ClockJson[];
  availableActions: string[];
  events?: EventJson[];
}

export interface PageJson<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}

/** What the API says of a media item. */
export type MediaJson = MediaInfo;

/** A multipart/form-data body as a browser would send it: text fields and files. */
export async function form(parts: { name: string; value: string | Buffer; filename?: string; type?: string }[]): Promise<{ body: Buffer; contentType: string }> {
  const data = new FormData();
  for (const p of parts) {
    if (typeof p.value === 'string') data.append(p.name, p.value);
    else data.append(p.name, new Blob([p.value], { type: p.type ?? 'application/octet-stream' }), p.filename ?? 'file');
  }
  const request = new Request('http://gridline.test/', { method: 'POST', body: data });
  return { body: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get('content-type')! };
}

/** Logs users in through POST /api/v1/auth/login and calls the API with their tokens. */
export class Api {
  readonly tokens = new Map<string, string>();

  constructor(private readonly world: World) {}

  async login(username: string, password = PASSWORD): Promise<string> {
    const res = await this.world.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
    expect(res.statusCode, `login ${username}: ${res.body}`).toBe(200);
    const token = res.json<LoginJson>().token;
    this.tokens.set(username, token);
    return token;
  }

  async loginAll(usernames: string[]): Promise<void> {
    for (const username of usernames) await this.login(username);
  }

  token(username: string): string {
    const token = this.tokens.get(username);
    if (!token) throw new Error(`${username} has not logged in`);
    return token;
  }

  /** A request as `username` (logged in before), or anonymous when username is null. */
  call(username: string | null, method: Method, url: string, payload?: Payload, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const auth: Record<string, string> = username === null ? {} : { authorization: `Bearer ${this.token(username)}` };
    return this.world.app.inject({ method, url, ...(payload === undefined ? {} : { payload }), headers: { ...auth, ...headers } });
  }

  get(username: string | null, url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.call(username, 'GET', url, undefined, headers);
  }

  post(username: string | null, url: string, payload?: Payload, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.call(username, 'POST', url, payload, headers);
  }

  act(username: string, caseId: string, action: string, body: object = {}, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.post(username, `/api/v1/cases/${caseId}/actions/${action}`, body, headers);
  }

  async upload(username: string, bytes: Buffer, contentType = 'image/jpeg'): Promise<LightMyRequestResponse> {
    return this.post(username, '/api/v1/media', bytes, { 'content-type': contentType });
  }

  /** POST a multipart form (files and fields) as `username`. */
  async postForm(username: string, url: string, parts: Parameters<typeof form>[0]): Promise<LightMyRequestResponse> {
    const { body, contentType } = await form(parts);
    return this.post(username, url, body, { 'content-type': contentType });
  }
}

/** Assert the standard error body and return it. */
export function expectError(res: LightMyRequestResponse, status: number, code?: string | RegExp, field?: string | RegExp): ErrorJson['error'] {
  expect(res.statusCode, res.body.slice(0, 600)).toBe(status);
  const body = res.json<ErrorJson>();
  expect(body.error, res.body).toBeDefined();
  expect(typeof body.error.code).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  if (typeof code === 'string') expect(body.error.code, res.body).toBe(code);
  else if (code) expect(body.error.code, res.body).toMatch(code);
  if (typeof field === 'string') expect(body.error.field, res.body).toBe(field);
  else if (field) expect(body.error.field, res.body).toMatch(field);
  return body.error;
}

/** Anything but a server error: the input was judged, not choked on. */
export function expectNot500(res: LightMyRequestResponse, what: string): void {
  expect(res.statusCode, `${what}: ${res.body}`).toBeLessThan(500);
}

/** A valid PNG (1x1, grey) built by hand: signature, IHDR, IDAT, IEND with real CRCs. */
export function tinyPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer): number => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(typed));
    return Buffer.concat([length, typed, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  // One scanline: filter byte 0 + one grey pixel.
  const idat = deflateSync(Buffer.from([0x00, 0x80]));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}
