// Reading multipart/form-data uploads: every file part into memory (within the configured limits), the
// text fields beside them. Limits broken by the client become clear 4xx errors, never a 500.

import type { FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import { tooManyMedia } from '../domain/evidence.js';
import type { Services } from '../services/index.js';

export interface UploadedFile {
  field: string;
  /** The client's name for the file: only ever echoed back in errors, never used for storage. */
  filename: string;
  bytes: Buffer;
}

/**
 * Upload each file of a form in order. A refused file is named in the error (`details.file`: its position,
 * field and name), so the rider knows which photo to retake; files before it are kept, and sending the
 * form again without it returns the same media for them (same rider, same bytes).
 */
export async function uploadAll<T>(files: UploadedFile[], upload: (bytes: Buffer) => Promise<T>): Promise<T[]> {
  const done: T[] = [];
  for (const [index, file] of files.entries()) {
    try {
      done.push(await upload(file.bytes));
    } catch (error) {
      if (error instanceof DomainError) {
        throw new DomainError(error.kind, error.code, `${file.filename || `File ${index + 1}`}: ${error.message}`, { ...error.details, file: { index, field: file.field, name: file.filename.slice(0, 200) } });
      }
      throw error;
    }
  }
  return done;
}

export async function readFiles(request: FastifyRequest, services: Services): Promise<{ files: UploadedFile[]; fields: Record<string, string> }> {
  const limits = services.media.limits;
  const largest = Math.max(limits.photoBytes, limits.videoBytes);
  const maxFiles = services.ctx.evidence.maxFiles;
  const files: UploadedFile[] = [];
  const fields: Record<string, string> = {};
  try {
    for await (const part of request.parts({ limits: { fileSize: largest, files: maxFiles, fields: 30, fieldSize: 256 * 1024 } })) {
      if (part.type === 'file') files.push({ field: part.fieldname, filename: part.filename ?? '', bytes: await part.toBuffer() });
      else fields[part.fieldname] = String(part.value);
    }
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') {
      throw new DomainError('too_large', 'file_too_large', `A file is larger than ${Math.round(largest / 1024 / 1024)} MB, the most any upload may be.`, { limit: largest });
    }
    if (code === 'FST_FILES_LIMIT') {
      throw tooManyMedia(maxFiles);
    }
    if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') throw new DomainError('invalid', 'too_many_fields', 'The form has too many fields.');
    if (code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') throw new DomainError('unsupported', 'not_multipart', 'Send the form as multipart/form-data.');
    if (error instanceof DomainError) throw error;
    // A form cut off mid-way (a dropped connection) or otherwise malformed.
    throw new DomainError('invalid', 'malformed_multipart', `The form could not be read: ${(error as Error).message}`);
  }
  return { files, fields };
}
