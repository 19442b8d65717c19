/**
 * Application errors with stable codes. Every failure a client can see is an AppError;
 * the HTTP runtime turns it into the error body of API.md, the event runtime uses
 * `retryable` to decide between "throw so the platform retries" and "dead-letter".
 */

/** One bad field in a request: where it is and what is wrong with it. */
export interface FieldIssue {
  path: string;
  reason: string;
}

/** The catalogue of error codes: code → HTTP status and whether a retry can help. */
export const ERROR_CODES = {
  'REQUEST.VALIDATION': { status: 400, retryable: false },
  'REQUEST.MALFORMED_JSON': { status: 400, retryable: false },
  'REQUEST.BAD_CURSOR': { status: 400, retryable: false },
  'AUTH.UNAUTHENTICATED': { status: 401, retryable: false },
  'AUTH.INVALID_CREDENTIALS': { status: 401, retryable: false },
  'AUTH.INVALID_REFRESH_TOKEN': { status: 401, retryable: false },
  'AUTH.FORBIDDEN': { status: 403, retryable: false },
  'ROUTE.NOT_FOUND': { status: 404, retryable: false },
  'TASK.NOT_FOUND': { status: 404, retryable: false },
  'USER.NOT_FOUND': { status: 404, retryable: false },
  'MEDIA.NOT_FOUND': { status: 404, retryable: false },
  'MEDIA.VARIANT_NOT_FOUND': { status: 404, retryable: false },
  'NOTIFICATION.NOT_FOUND': { status: 404, retryable: false },
  'WEBHOOK.NOT_FOUND': { status: 404, retryable: false },
  'WEBHOOK.LIMIT_REACHED': { status: 409, retryable: false },
  'MEDIA.NOT_READY': { status: 409, retryable: false },
  'MEDIA.ATTACHMENT_LIMIT': { status: 409, retryable: false },
  'MEDIA.BUSY': { status: 503, retryable: true },
  'TASK.FORBIDDEN_FIELD': { status: 403, retryable: false },
  'TASK.INVALID_TRANSITION': { status: 409, retryable: false },
  'USER.EMAIL_EXISTS': { status: 409, retryable: false },
  'ROUTE.METHOD_NOT_ALLOWED': { status: 405, retryable: false },
  'PRECONDITION.FAILED': { status: 412, retryable: false },
  'REQUEST.TOO_LARGE': { status: 413, retryable: false },
  'REQUEST.UNSUPPORTED_MEDIA_TYPE': { status: 415, retryable: false },
  'IDEMPOTENCY.KEY_REUSED': { status: 422, retryable: false },
  'PRECONDITION.REQUIRED': { status: 428, retryable: false },
  'RATE.LIMITED': { status: 429, retryable: true },
  INTERNAL: { status: 500, retryable: true },
  'DEPENDENCY.UNAVAILABLE': { status: 503, retryable: true },
  /** A sealed value that does not open: tampered, or sealed under a key version that is gone. */
  'SECRET.UNREADABLE': { status: 500, retryable: false },
  'STORE.CONTENTION': { status: 503, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface AppErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Extra response headers, for example `Retry-After`. */
  headers?: Record<string, string>;
}

/** An error with a stable code, its HTTP status and whether retrying can help. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.retryable = ERROR_CODES[code].retryable;
    this.details = options.details;
    this.headers = options.headers;
  }
}

/** A 400 listing each bad field. */
export function validationError(issues: FieldIssue[], message = 'The request is not valid.'): AppError {
  return new AppError('REQUEST.VALIDATION', message, { details: { issues } });
}

/**
 * What a document store answers when the database will not store a value of a request (a
 * field name Firestore reserves, `__.*__`, …): the request's fault, a 400.
 */
export function unstorableValue(cause?: unknown): AppError {
  return new AppError('REQUEST.VALIDATION', 'The request holds a value the database cannot store.', {
    details: { issues: [{ path: 'body', reason: 'a value the database cannot store' }] },
    cause,
  });
}

/** A 429 telling the client when to come back (`Retry-After`, in whole seconds). */
export function rateLimited(retryAfterSeconds: number, message = 'Too many requests; slow down.'): AppError {
  return new AppError('RATE.LIMITED', message, { headers: { 'Retry-After': String(retryAfterSeconds) } });
}

/** Narrowing helper that also survives duplicated module instances (bundles, tests). */
export function isAppError(error: unknown): error is AppError {
  return (
    error instanceof AppError || (error instanceof Error && error.name === 'AppError' && 'code' in error)
  );
}
