// Two validators: request bodies are JSON and must already have the right types (no coercion: null
// never becomes 0, a number never becomes a string); query strings and path parameters arrive as text
// and are coerced. Both check formats (date-time, date) and refuse unknown body fields. Text anywhere in
// a request is checked once more: no NUL, no lone UTF-16 surrogate (neither can be stored faithfully).

import { isUtf8 } from 'node:buffer';
import Ajv, { type AnySchema } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalid } from '../domain/errors.js';

const make = (coerce: boolean) => {
  const ajv = new Ajv.default({ coerceTypes: coerce ? 'array' : false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  addFormats.default(ajv);
  return ajv;
};

/** The most a JSON body may be unless its route says otherwise (reports and actions are a few kB). */
export const JSON_BODY_LIMIT = 64 * 1024;

/**
 * JSON from raw bytes that must be UTF-8: invalid bytes would otherwise become U+FFFD, silently changing
 * what the user sent. Prototype poisoning is refused as by Fastify's own parser.
 */
export function strictJson(app: FastifyInstance): ContentTypeParser {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(invalid('body', 'The body is not valid UTF-8 text; send JSON encoded as UTF-8.', 'invalid_utf8'), undefined);
      return;
    }
    parse(request, bytes.toString('utf8'), done);
  };
}

type ContentTypeParser = (request: FastifyRequest, body: string | Buffer, done: (error: Error | null, body?: unknown) => void) => void;

export function registerValidation(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, strictJson(app));
  const body = make(false);
  const text = make(true);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema as AnySchema));
  app.addHook('preValidation', async (request: FastifyRequest) => {
    checkText(request.params, 'params');
    checkText(request.query, 'query');
    checkText(request.body, 'body');
  });
}

const MAX_DEPTH = 32;

// PostgreSQL cannot store NUL in text, and a lone surrogate becomes U+FFFD on the way into either
// database (the text would be silently changed); no person types either.
// eslint-disable-next-line no-control-regex
const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Refuse text a database would not keep exactly as sent: 400 `invalid_characters` naming the first field
 * (`part` when it is the whole value). Walks without recursion; nesting past 32 levels is refused too.
 */
export function checkText(root: unknown, part: string): void {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: root, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (BAD_TEXT.test(value)) throw badText(path || part);
      continue;
    }
    if (Buffer.isBuffer(value) || value === null || typeof value !== 'object') continue;
    if (depth >= MAX_DEPTH) throw invalid(path || part, `${path || 'The body'} is nested more than ${MAX_DEPTH} levels deep.`, 'too_deeply_nested');
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      if (BAD_TEXT.test(key)) throw badText(childPath);
      stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
}

const badText = (field: string) =>
  invalid(field, `${field} contains a NUL character or a broken (lone surrogate) character, which cannot be stored as text.`, 'invalid_characters');
