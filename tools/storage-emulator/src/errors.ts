/**
 * Errors in Cloud Storage's two shapes. The JSON API answers
 * `{"error":{"code","message","errors":[{"reason",...}]}}`, which the Node client turns into
 * an ApiError with `code` and `errors`; the XML API answers `<Error><Code>…</Code>…</Error>`.
 * A handler throws a StorageError carrying both spellings; the router picks the shape by
 * which API the request came through.
 */

export interface StorageErrorInit {
  status: number;
  /** JSON API `errors[].reason`, e.g. `notFound`, `conditionNotMet`. */
  reason: string;
  /** XML API `<Code>`, e.g. `NoSuchKey`, `SignatureDoesNotMatch`. */
  xmlCode: string;
  message: string;
  /** XML `<Details>` (and extra JSON text): what exactly was wrong. */
  details?: string;
  /** JSON API `errors[].location` / `locationType`, as GCS sets them for preconditions. */
  location?: { type: 'header' | 'parameter'; name: string };
  /** Extra XML elements, e.g. `StringToSign` and `CanonicalRequest` on a signature mismatch. */
  xmlExtra?: Record<string, string>;
  /** Response headers the error needs, e.g. `Content-Range` on a 416. */
  headers?: Record<string, string>;
}

export class StorageError extends Error {
  override name = 'StorageError';
  readonly status: number;
  readonly reason: string;
  readonly xmlCode: string;
  readonly details: string | undefined;
  readonly location: StorageErrorInit['location'];
  readonly xmlExtra: Record<string, string>;
  readonly headers: Record<string, string>;

  constructor(init: StorageErrorInit) {
    super(init.message);
    this.status = init.status;
    this.reason = init.reason;
    this.xmlCode = init.xmlCode;
    this.details = init.details;
    this.location = init.location;
    this.xmlExtra = init.xmlExtra ?? {};
    this.headers = init.headers ?? {};
  }

  toJson(): string {
    // The message stays GCS's exact wording (callers match on it); the specifics go to
    // `debugInfo`, a field GCS itself uses for such detail.
    const item: Record<string, string> = { message: this.message, domain: 'global', reason: this.reason };
    if (this.location) {
      item.locationType = this.location.type;
      item.location = this.location.name;
    }
    if (this.details) item.debugInfo = this.details;
    return JSON.stringify({ error: { code: this.status, message: this.message, errors: [item] } });
  }

  toXml(): string {
    const parts = [
      `<Code>${escapeXml(this.xmlCode)}</Code>`,
      `<Message>${escapeXml(this.message)}</Message>`,
    ];
    if (this.details) parts.push(`<Details>${escapeXml(this.details)}</Details>`);
    for (const [key, value] of Object.entries(this.xmlExtra))
      parts.push(`<${key}>${escapeXml(value)}</${key}>`);
    return `<?xml version='1.0' encoding='UTF-8'?><Error>${parts.join('')}</Error>`;
  }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const errors = {
  bucketNotFound: (bucket: string) =>
    new StorageError({
      status: 404,
      reason: 'notFound',
      xmlCode: 'NoSuchBucket',
      message: 'The specified bucket does not exist.',
      details: `Bucket: ${bucket}`,
    }),
  objectNotFound: (bucket: string, name: string) =>
    new StorageError({
      status: 404,
      reason: 'notFound',
      xmlCode: 'NoSuchKey',
      message: `No such object: ${bucket}/${name}`,
    }),
  notificationNotFound: (bucket: string, id: string) =>
    new StorageError({
      status: 404,
      reason: 'notFound',
      xmlCode: 'NotFound',
      message: `No such notification configuration: ${bucket}/${id}`,
    }),
  uploadNotFound: () =>
    new StorageError({
      status: 404,
      reason: 'notFound',
      xmlCode: 'NoSuchUpload',
      message: 'No such upload session (unknown, expired, cancelled or already finished).',
    }),
  preconditionFailed: (location: string, details: string) =>
    new StorageError({
      status: 412,
      reason: 'conditionNotMet',
      xmlCode: 'PreconditionFailed',
      message: 'At least one of the pre-conditions you specified did not hold.',
      details,
      location: { type: 'header', name: location },
    }),
  /** Outside a request's `x-goog-content-length-range`: GCS's 400 EntityTooLarge / EntityTooSmall. */
  lengthOutOfRange: (size: number, range: { min: number; max: number }) =>
    new StorageError({
      status: 400,
      reason: 'invalid',
      ...(size > range.max
        ? {
            xmlCode: 'EntityTooLarge',
            message: 'Your proposed upload exceeds the maximum allowed object size.',
          }
        : {
            xmlCode: 'EntityTooSmall',
            message: 'Your proposed upload is smaller than the minimum allowed object size.',
          }),
      details: `${size > range.max ? 'More than' : 'Only'} ${size > range.max ? range.max : size} bytes; x-goog-content-length-range: ${range.min},${range.max}.`,
    }),
  badRequest: (message: string, reason = 'invalid') =>
    new StorageError({ status: 400, reason, xmlCode: 'InvalidArgument', message }),
  conflict: (message: string) =>
    new StorageError({ status: 409, reason: 'conflict', xmlCode: 'Conflict', message }),
  rangeNotSatisfiable: (size: number) =>
    new StorageError({
      status: 416,
      reason: 'requestedRangeNotSatisfiable',
      xmlCode: 'InvalidRange',
      message: 'The requested range cannot be satisfied.',
      details: `Object size: ${size}`,
      headers: { 'Content-Range': `bytes */${size}` },
    }),
  notImplemented: (what: string) =>
    new StorageError({
      status: 501,
      reason: 'notImplemented',
      xmlCode: 'NotImplemented',
      message: `The storage emulator does not implement ${what}.`,
    }),
};
