// One error type for the whole core. `code` is stable (clients and tests match on it); `kind` decides
// the HTTP status in exactly one place (src/http/errors.ts). The core never knows about HTTP.

export type ErrorKind =
  | 'invalid' //       400: the input is wrong; `field` names what to fix
  | 'unauthenticated' // 401
  | 'forbidden' //     403: this role or jurisdiction may not do it
  | 'not_found' //     404
  | 'conflict' //      409: not allowed in the case's current state, or a concurrent change
  | 'unsupported' //   415
  | 'too_large' //     413
  | 'too_many' //      429: slow down or finish what is open
  | 'unavailable'; //  503

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const invalid = (field: string, message: string, code = 'invalid_field') =>
  new DomainError('invalid', code, message, { field });

export const forbidden = (code: string, message: string, details: Record<string, unknown> = {}) =>
  new DomainError('forbidden', code, message, details);

export const notFound = (what: string, id: string) =>
  new DomainError('not_found', `${what}_not_found`, `No ${what.replace(/_/g, ' ')} with id ${id}.`, { id });

export const conflict = (code: string, message: string, details: Record<string, unknown> = {}) =>
  new DomainError('conflict', code, message, details);
