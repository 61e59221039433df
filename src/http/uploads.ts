// Reading uploads without holding them in memory. A raw body (one photo or video, or a tus chunk) is left
// unread by its content-type parser, which only refuses an announced length over the route's limit, and
// is streamed by the handler into a temporary file (MediaService.spool / appendUpload). A multipart form
// has each file part streamed the same way, one after the other, and its text fields kept as their raw
// bytes. The limits are enforced as bytes arrive; a refusal before the body is read through closes the
// connection (the client may still be sending). Who may send media at all is decided before any of it is
// read: `onRequest: mediaRole(services)`.

import { isUtf8 } from 'node:buffer';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { DomainError, invalid } from '../domain/errors.js';
import { tooManyMedia } from '../domain/evidence.js';
import type { SpooledFile } from '../media/spool.js';
import type { PreparedUpload } from '../services/media.service.js';
import type { Principal } from '../services/context.js';
import type { Services } from '../services/index.js';
import { newId } from '../domain/ids.js';
import type { MediaRecord } from '../domain/records.js';
import { principalOf } from './auth.js';
import { checkText } from './validation.js';

export interface UploadedFile {
  field: string;
  /** The client's name for the file: only ever echoed back in errors, never used for storage. */
  filename: string;
  file: SpooledFile;
}

/** The most bytes a text field of a form may have (the report's JSON is a few kB). */
export const FORM_FIELD_BYTES = 64 * 1024;

/**
 * A request body its content-type parser left unread, for the handler to stream. It has no enumerable
 * fields, so the app-wide text checks that walk request bodies see nothing to check in it.
 */
export class PendingBody {
  readonly #stream: Readable;
  constructor(stream: Readable) {
    this.#stream = stream;
  }

  /** The bytes as they arrive. A consumer that stops early leaves the socket to the HTTP layer. */
  chunks(): AsyncIterable<Buffer> {
    return this.#stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
  }
}

const NO_BYTES: AsyncIterable<Buffer> = { async *[Symbol.asyncIterator]() {} };

/** The body of a request whose content-type parser is `streamedBody`; no bytes when there was no body. */
export function pendingBody(request: FastifyRequest): AsyncIterable<Buffer> {
  return request.body instanceof PendingBody ? request.body.chunks() : NO_BYTES;
}

/**
 * Content-type parser that reads nothing: an announced length (Content-Length) over the route's bodyLimit
 * is refused before a byte is read (413 file_too_large where the body is a file, body_too_large otherwise),
 * anything else is handed to the handler as a PendingBody. Fastify closes the connection after the refusal.
 */
export function streamedBody(request: FastifyRequest, payload: Readable, done: (error: Error | null, body?: unknown) => void): void {
  const limit = request.routeOptions.bodyLimit ?? Number.MAX_SAFE_INTEGER;
  const declared = Number(request.headers['content-length']);
  if (declared > limit) {
    const mb = (n: number) => Math.round(n / 1024 / 1024);
    done(
      request.routeOptions.config.bodyIsFile
        ? new DomainError('too_large', 'file_too_large', `This file is ${mb(declared)} MB; the most any upload may be is ${mb(limit)} MB.`, { bytes: declared, limit })
        : new DomainError('too_large', 'body_too_large', `The request body is ${mb(declared)} MB; this endpoint takes at most ${mb(limit)} MB.`, { bytes: declared, limit }),
    );
    return;
  }
  done(null, new PendingBody(payload));
}

/** The announced body length, when there is one. */
export function contentLength(request: FastifyRequest): number | undefined {
  const value = request.headers['content-length'];
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/** onRequest (after authenticate): only the roles that send evidence may send media (403 role_not_allowed). */
export const mediaRole =
  (services: Services) =>
  async (request: FastifyRequest): Promise<void> => {
    services.media.assertMayUpload(principalOf(request));
  };

/** A refusal while the client may still be sending: answer, then close the connection rather than read on. */
export function closeIfUnread(request: FastifyRequest, reply: FastifyReply): void {
  if (!request.raw.complete) reply.header('connection', 'close');
}

/** The error for one file of a form, naming it (position, field, name) so the rider knows which to retake. */
function named(error: unknown, index: number, field: string, filename: string): unknown {
  if (!(error instanceof DomainError)) return error;
  return new DomainError(error.kind, error.code, `${filename || `File ${index + 1}`}: ${error.message}`, { ...error.details, file: { index, field, name: filename.slice(0, 200) } });
}

/**
 * Upload the files of a form as one: every file is checked and processed first, and only when all of them
 * pass is any stored. A refused file is named in the error (`details.file`), and nothing of the form is
 * kept. The spooled files stay the caller's to discard.
 */
export async function uploadAll(services: Services, principal: Principal, files: UploadedFile[]): Promise<MediaRecord[]> {
  const prepared = await prepareAll(services, principal, files);
  try {
    const done: MediaRecord[] = [];
    for (const p of prepared) done.push(await services.media.commit(p));
    return done;
  } finally {
    await disposeAll(prepared);
  }
}

/** A multipart report: its body (media ids included) and its files, prepared but not yet stored. */
export interface FormReport {
  body: Record<string, unknown>;
  prepared: PreparedUpload[];
  /** Remove the temporary files (spooled and processed), whatever became of the report. */
  dispose(): Promise<void>;
}

/** Check and process every file of a form, storing nothing; a refused file is named in the error. */
async function prepareAll(services: Services, principal: Principal, files: UploadedFile[]): Promise<PreparedUpload[]> {
  const prepared: PreparedUpload[] = [];
  try {
    for (const [index, f] of files.entries()) {
      try {
        prepared.push(await services.media.prepare(principal, f.file));
      } catch (error) {
        throw named(error, index, f.field, f.filename);
      }
    }
    return prepared;
  } catch (error) {
    await disposeAll(prepared);
    throw error;
  }
}

export async function disposeAll(prepared: PreparedUpload[]): Promise<void> {
  for (const p of prepared) await p.dispose();
}

export async function discardAll(files: UploadedFile[]): Promise<void> {
  for (const f of files) await f.file.discard();
}

/**
 * Read a multipart/form-data request: each file streamed to a temporary file (within the photo and video
 * limits, as MediaService.spool enforces them), each text field as its bytes. A text field may also come
 * as a file part (a Blob of JSON, as browsers send one): `textParts` names the fields read that way. On
 * any error every file spooled so far is removed.
 */
export async function readFiles(request: FastifyRequest, services: Services, textParts: readonly string[] = []): Promise<{ files: UploadedFile[]; fields: Record<string, Buffer> }> {
  const maxFiles = services.media.maxFiles;
  const files: UploadedFile[] = [];
  const fields: Record<string, Buffer> = {};
  let current: { index: number; field: string; filename: string } | undefined;
  try {
    // defCharset base64: busboy hands over a field's exact bytes (base64) unless the part names a charset,
    // so text that is not UTF-8 is refused like a JSON body's, not turned into U+FFFD (fieldBytes).
    // fileSize one over the largest: the spool refuses first, naming the file and its kind's limit.
    const parts = request.parts({ defCharset: 'base64', limits: { fileSize: services.media.largest + 1, files: maxFiles + textParts.length, fields: 30, fieldSize: FORM_FIELD_BYTES } });
    for await (const part of parts) {
      if (part.type === 'file' && textParts.includes(part.fieldname)) {
        fields[part.fieldname] = await readText(part.file, part.fieldname);
      } else if (part.type === 'file') {
        if (files.length >= maxFiles) throw tooManyMedia(maxFiles);
        current = { index: files.length, field: part.fieldname, filename: part.filename ?? '' };
        const file = await services.media.spool(part.file.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>);
        files.push({ field: current.field, filename: current.filename, file });
        current = undefined;
      } else {
        if (part.valueTruncated) throw fieldTooLarge(part.fieldname);
        fields[part.fieldname] = fieldBytes(part.value);
      }
    }
  } catch (error) {
    await discardAll(files);
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') {
      const limit = services.media.largest;
      throw new DomainError('too_large', 'file_too_large', `A file is larger than ${Math.round(limit / 1024 / 1024)} MB, the most any upload may be.`, { limit });
    }
    if (code === 'FST_FILES_LIMIT') throw tooManyMedia(maxFiles);
    if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') throw new DomainError('invalid', 'too_many_fields', 'The form has too many fields.');
    if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') throw new DomainError('unsupported', 'not_multipart', 'Send the form as multipart/form-data.');
    if (code === 'FST_INVALID_JSON_FIELD_ERROR') {
      throw new DomainError('invalid', 'invalid_json', 'A form field typed application/json could not be read: send the report as a plain text field, as a file part (a Blob), or name its charset.', { field: 'report' });
    }
    if (error instanceof DomainError) throw current ? named(error, current.index, current.field, current.filename) : error;
    // A form cut off mid-way (a dropped connection) or otherwise malformed.
    throw new DomainError('invalid', 'malformed_multipart', `The form could not be read: ${(error as Error).message}`);
  }
  return { files, fields };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * A text field's bytes. Without a charset of its own a field arrives as base64 of its bytes (defCharset
 * above); a field that named a charset arrives decoded, and is taken as the text it is (base64 never holds
 * '{', so a JSON object cannot be mistaken for it). @fastify/multipart parses fields typed application/json
 * itself: they are written back as JSON (lone surrogates stay escaped, for the text check to find).
 */
function fieldBytes(value: unknown): Buffer {
  if (typeof value !== 'string') return Buffer.from(JSON.stringify(value) ?? '');
  return value.length % 4 === 0 && BASE64.test(value) ? Buffer.from(value, 'base64') : Buffer.from(value, 'utf8');
}

const fieldTooLarge = (field: string) =>
  new DomainError('too_large', 'field_too_large', `The form field "${field.slice(0, 64)}" is larger than ${FORM_FIELD_BYTES / 1024} kB.`, { field, limit: FORM_FIELD_BYTES });

/** A file part that is really a text field (a JSON Blob), read whole within FORM_FIELD_BYTES. */
async function readText(stream: Readable, field: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > FORM_FIELD_BYTES) throw fieldTooLarge(field);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The body of a report sent as multipart/form-data: the JSON in a `report` field (a text field, or a file
 * part such as a JSON Blob) and the photos and videos as files. Nothing is stored until everything that
 * can be checked here passes, in this order: the sender's role (before the form is read), the form's
 * limits, the report's bytes (UTF-8), its JSON, its text (no NUL, no lone surrogate: checkText), the
 * number of media, the route's schema (`validate`, with placeholders for the files' ids), and every file.
 * Only then are the files stored; their ids join the report's `media`. On any refusal nothing is kept.
 */
export async function reportFromForm(
  request: FastifyRequest,
  reply: FastifyReply,
  services: Services,
  validate: ((body: unknown) => boolean) & { errors?: unknown[] | null | undefined } | undefined,
): Promise<FormReport> {
  const principal = principalOf(request);
  services.media.assertMayUpload(principal);
  let files: UploadedFile[] = [];
  try {
    const form = await readFiles(request, services, ['report']);
    files = form.files;
    const raw = form.fields.report;
    if (raw === undefined) throw invalid('report', 'Put the report itself, as JSON, in a form field named "report" beside the files.', 'report_field_required');
    if (!isUtf8(raw)) throw invalid('report', 'The "report" field is not valid UTF-8 text; send the JSON encoded as UTF-8.', 'invalid_utf8');
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw invalid('report', 'The "report" field is not valid JSON.', 'invalid_json');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('report', 'The "report" field must be a JSON object.', 'invalid_json');
    checkText(body, 'report');
    const given = (body as { media?: unknown }).media;
    const withMedia = (ids: string[]) => ({ ...body, media: given === undefined ? ids : Array.isArray(given) ? [...(given as unknown[]), ...ids] : given });
    const count = (Array.isArray(given) ? given.length : 0) + files.length;
    if (count > services.media.maxFiles) throw tooManyMedia(services.media.maxFiles, count);
    // Validated against the route's schema as it will be once the files have ids (on a copy: defaults apply).
    if (validate && !validate(structuredClone(withMedia(files.map(() => newId()))))) {
      throw Object.assign(new Error('the report does not match the schema'), { validation: validate.errors ?? [], validationContext: 'body', statusCode: 400 });
    }
    // Checked and processed, nothing stored: the caller stores them with the report, in its transaction.
    const prepared = await prepareAll(services, principal, files);
    const spooled = files;
    return {
      body: withMedia(prepared.map((p) => p.id)),
      prepared,
      dispose: async () => {
        await disposeAll(prepared);
        await discardAll(spooled);
      },
    };
  } catch (error) {
    closeIfUnread(request, reply);
    await discardAll(files);
    throw error;
  }
}
