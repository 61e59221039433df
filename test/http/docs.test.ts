// Operational endpoints and the API description: /healthz, / -> /docs, the Swagger UI, the OpenAPI
// document and the 404 for unknown routes. Nothing here depends on the database dialect.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/db.js';
import { buildWorld, type World } from '../support/world.js';
import { expectError } from './support.js';

interface OpenApiOperation {
  parameters?: { name: string; in: string; required?: boolean; schema?: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: { type?: string; properties?: Record<string, unknown>; required?: string[] } }> };
  security?: Record<string, unknown[]>[];
}

interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
}

describe('docs and operations (sqlite)', () => {
  let world: World;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    world = await buildWorld(DIALECTS[0]!);
    const res = await world.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    doc = res.json<OpenApiDocument>();
  });
  afterAll(() => world?.close());

  const operation = (path: string, method: string): OpenApiOperation => {
    const op = doc.paths[path]?.[method];
    if (!op) throw new Error(`no ${method} ${path} in the OpenAPI document`);
    return op;
  };
  const bodySchema = (path: string, method = 'post') => operation(path, method).requestBody?.content['application/json']?.schema;

  it('GET /healthz answers 200 with the status and the database dialect', async () => {
    const res = await world.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.json()).toEqual({ status: 'ok', database: 'sqlite' });
  });

  it('GET / says what is where: the rider app, the API docs, the health check', async () => {
    const res = await world.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    for (const link of ['href="/rider/"', 'href="/docs"', 'href="/healthz"']) expect(res.body).toContain(link);
  });

  it('GET /docs serves the HTML of the API explorer', async () => {
    const res = await world.app.inject({ method: 'GET', url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toMatch(/<html/i);
  });

  it('GET /docs/json is an OpenAPI 3 document with a bearer security scheme', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('Gridline API');
    expect(doc.components?.securitySchemes?.bearer).toEqual({ type: 'http', scheme: 'bearer' });
  });

  it('lists the core routes', () => {
    for (const [path, method] of [
      ['/api/v1/auth/login', 'post'],
      ['/api/v1/reports', 'post'],
      ['/api/v1/cases', 'get'],
      ['/api/v1/cases/{id}', 'get'],
      ['/api/v1/cases/{id}/actions/{action}', 'post'],
      ['/api/v1/me/reports', 'get'],
      ['/api/v1/media', 'post'],
      ['/api/v1/media/{id}', 'get'],
      ['/api/v1/admin/users', 'post'],
      ['/api/v1/admin/sweep', 'post'],
    ] as const) {
      expect(operation(path, method), `${method} ${path}`).toBeDefined();
    }
  });

  it('describes the request bodies of login, report and case actions', () => {
    const login = bodySchema('/api/v1/auth/login');
    expect(login?.type).toBe('object');
    expect(login?.required).toEqual(expect.arrayContaining(['username', 'password']));

    const report = bodySchema('/api/v1/reports');
    expect(report?.required).toEqual(['categoryId', 'lat', 'lon']);
    expect(Object.keys(report?.properties ?? {})).toEqual(expect.arrayContaining(['urgency', 'media', 'address', 'clientKey']));

    const action = bodySchema('/api/v1/cases/{id}/actions/{action}');
    expect(Object.keys(action?.properties ?? {})).toEqual(expect.arrayContaining(['reason', 'note', 'departmentId', 'closureType', 'score']));

    const user = bodySchema('/api/v1/admin/users');
    expect(user?.required).toEqual(expect.arrayContaining(['username', 'password', 'displayName', 'role']));
  });

  it('describes path and query parameters', () => {
    const params = operation('/api/v1/cases/{id}/actions/{action}', 'post').parameters ?? [];
    expect(params.filter((p) => p.in === 'path').map((p) => p.name).sort()).toEqual(['action', 'id']);
    const action = params.find((p) => p.name === 'action');
    expect(JSON.stringify(action?.schema)).toContain('record-decision');

    const query = (operation('/api/v1/cases', 'get').parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    expect(query).toEqual(expect.arrayContaining(['status', 'category', 'urgency', 'overdue', 'from', 'to', 'page', 'pageSize']));
    expect((operation('/api/v1/me/reports', 'get').parameters ?? []).map((p) => p.name)).toEqual(expect.arrayContaining(['page', 'pageSize']));
  });

  it('marks the secured routes with bearer security and leaves login open', () => {
    expect(operation('/api/v1/cases', 'get').security).toEqual([{ bearer: [] }]);
    expect(operation('/api/v1/reports', 'post').security).toEqual([{ bearer: [] }]);
    expect(operation('/api/v1/auth/login', 'post').security).toBeUndefined();
  });

  it('hides the / redirect from the document', () => {
    expect(doc.paths['/']).toBeUndefined();
  });

  it('answers an unknown route with 404 route_not_found in the error format', async () => {
    for (const [method, url] of [
      ['GET', '/nope'],
      ['GET', '/api/v1/nope?x=1'],
      ['POST', '/api/v1/cases'],
      ['DELETE', '/api/v1/cases/abc'],
      ['GET', '/api/v2/cases'],
    ] as const) {
      const res = await world.app.inject({ method, url });
      const error = expectError(res, 404, 'route_not_found');
      expect(error.message).toContain(url.split('?')[0]);
      expect(error.message).not.toContain('?');
    }
  });
});

describe('healthz when the database is gone (sqlite)', () => {
  it('answers 503 unavailable, not 500', async () => {
    const world = await buildWorld(DIALECTS[0]!);
    try {
      await world.database.close();
      const res = await world.app.inject({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'unavailable', database: 'sqlite' });
    } finally {
      await world.app.close();
    }
  });
});
