// In tests, every answer is checked against its route's response schema before it is serialized. In
// production Fastify's serializer just leaves out what a schema does not name (schemas.ts), which keeps
// internals from leaking but would also hide a view that grew a field nobody added to its schema: here
// that, or a field of the wrong type, is an error the test suite sees at once.

import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifyInstance, RouteOptions } from 'fastify';

/** Checks answers against their schemas (buildApp turns it on under Vitest, or with `checkResponses`). */
export function checkResponses(app: FastifyInstance): void {
  const ajv = new Ajv({ strict: false, allErrors: true });
  app.addHook('onRoute', (route: RouteOptions) => {
    const response = route.schema?.response as Record<string, object> | undefined;
    if (!response) return;
    const validators = new Map<string, ValidateFunction>();
    for (const [code, schema] of Object.entries(response)) validators.set(code, ajv.compile(schema));
    const hook = async (_request: unknown, reply: { statusCode: number }, payload: unknown) => {
      const code = String(reply.statusCode);
      const validate = validators.get(code) ?? validators.get(`${code[0]}xx`) ?? validators.get('default');
      if (!validate || validate(payload)) return payload;
      const problems = [...new Set((validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`))];
      throw new Error(`${route.method} ${route.url} answered ${code} with a body its response schema does not describe: ${problems.slice(0, 10).join('; ')}`);
    };
    const existing = route.preSerialization;
    route.preSerialization = existing ? [...(Array.isArray(existing) ? existing : [existing]), hook] : hook;
  });
}
