// Response schemas (src/http/routes/*/schema.ts and the shared src/http/schemas.ts; response-check.ts):
// what a schema does not name never reaches a client, and under the test runner an answer that does not
// fit its schema is an error, so a view that grows a field (or changes a type) cannot go unnoticed. Also:
// every JSON route of the API has one.

import Fastify from 'fastify';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkResponses } from '../../src/http/response-check.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';

async function tiny(check: boolean, answer: unknown) {
  const app = Fastify();
  if (check) checkResponses(app);
  app.get('/thing', { schema: { response: { 200: Type.Object({ id: Type.String(), n: Type.Integer() }, { additionalProperties: false }) } } }, async () => answer);
  await app.ready();
  return app;
}

describe('response schemas', () => {
  it('leave out what the schema does not name', async () => {
    const app = await tiny(false, { id: 'a', n: 1, passwordHash: 'secret' });
    const res = await app.inject({ url: '/thing' });
    expect(res.json()).toEqual({ id: 'a', n: 1 });
    await app.close();
  });

  it('under the check, an answer with an unnamed field or a wrong type is an error naming it', async () => {
    let app = await tiny(true, { id: 'a', n: 1, passwordHash: 'secret' });
    let res = await app.inject({ url: '/thing' });
    expect(res.statusCode).toBe(500);
    expect(res.json().message).toContain('(passwordHash)');
    await app.close();
    app = await tiny(true, { id: 'a', n: 'one' });
    res = await app.inject({ url: '/thing' });
    expect(res.statusCode).toBe(500);
    expect(res.json().message).toContain('/n must be integer');
    await app.close();
    app = await tiny(true, { id: 'a', n: 1 });
    expect((await app.inject({ url: '/thing' })).json()).toEqual({ id: 'a', n: 1 });
    await app.close();
  });
});

describe.each(DIALECTS.slice(0, 1))('every JSON route of the API declares its answer ($name)', (dialect) => {
  let world: World;
  beforeAll(async () => {
    world = await buildWorld(dialect);
  });
  afterAll(() => world?.close());

  it('has a response schema for its success status, except the binary copies, tus, the certificate page and the 204s', async () => {
    const doc = (await world.app.inject({ url: '/docs/json' })).json<{ paths: Record<string, Record<string, { responses?: Record<string, { content?: unknown }> }>> }>();
    // Answers that are bytes (media copies), tus protocol headers, an HTML page (the certificate), a spreadsheet (the finance export), or empty.
    const exempt = new Set(['get /api/v1/media/{id}', 'get /api/v1/public/media/{id}', 'options /api/v1/uploads', 'post /api/v1/uploads', 'patch /api/v1/uploads/{id}', 'head /api/v1/uploads/{id}', 'delete /api/v1/uploads/{id}', 'post /api/v1/auth/logout', 'delete /api/v1/media/{id}/publish', 'delete /api/v1/admin/lockouts/{username}', 'delete /api/v1/me/sessions/{id}', 'delete /api/v1/subscriptions/{id}', 'delete /api/v1/dispatch-rules/{id}', 'get /api/v1/members/{id}/certificate', 'get /api/v1/redemptions/export', 'get /api/v1/kpis/export']);
    const missing: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/')) continue;
      for (const [method, op] of Object.entries(methods)) {
        const key = `${method} ${path}`;
        if (exempt.has(key)) continue;
        // Swagger lists a bare "Default Response" for a route without a schema: only one with content counts.
        const declared = Object.entries(op.responses ?? {}).filter(([code, r]) => code.startsWith('2') && r.content !== undefined);
        if (declared.length === 0) missing.push(key);
      }
    }
    expect(missing).toEqual([]);
  });
});
