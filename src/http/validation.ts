// Two validators: request bodies are JSON and must already have the right types (no coercion: null
// never becomes 0, a number never becomes a string); query strings and path parameters arrive as text
// and are coerced. Both check formats (date-time, date) and refuse unknown body fields.

import Ajv, { type AnySchema } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalid } from '../domain/errors.js';

const make = (coerce: boolean) => {
  const ajv = new Ajv.default({ coerceTypes: coerce ? 'array' : false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  addFormats.default(ajv);
  return ajv;
};

export function registerValidation(app: FastifyInstance): void {
  const body = make(false);
  const text = make(true);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema as AnySchema));
  // PostgreSQL cannot store NUL in text, and no person types one: refuse it everywhere, naming the field.
  app.addHook('preValidation', async (request: FastifyRequest) => {
    for (const [part, value] of [
      ['params', request.params],
      ['query', request.query],
      ['body', request.body],
    ] as const) {
      const field = findNul(value, '');
      if (field !== undefined) throw invalid(field || part, `${field || part} contains a NUL character, which is not allowed in text.`, 'invalid_characters');
    }
  });
}

const MAX_DEPTH = 32;

/** The path of the first string holding U+0000, or undefined. Walks without recursion, to any depth. */
function findNul(root: unknown, rootPath: string): string | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: root, path: rootPath, depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path;
      continue;
    }
    if (Buffer.isBuffer(value) || value === null || typeof value !== 'object') continue;
    if (depth >= MAX_DEPTH) throw invalid(path || 'body', `${path || 'The body'} is nested more than ${MAX_DEPTH} levels deep.`, 'too_deeply_nested');
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (key.includes('\u0000')) return childPath;
      stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return undefined;
}
