/**
 * The XML API, path style (`/{bucket}/{object}`), for what browsers and other clients do
 * with V4 signed URLs: GET/HEAD to download, PUT to upload, DELETE, and POST with
 * `x-goog-resumable: start` to open a resumable session (whose `upload_id` URL then takes
 * PUTs without a signature, as in GCS), with the bucket's CORS rules applied. A write's
 * `x-goog-content-length-range` bounds its size (400 EntityTooLarge / EntityTooSmall) and
 * `x-goog-if-generation-match` its precondition (412), for a session too. Every other
 * request is anonymous and refused: this emulator has no public objects.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  checkAnnouncedLength,
  type ExpectedHashes,
  expectedHashes,
  lengthRangeOf,
  writeContent,
} from './content.ts';
import { answerPreflight, corsHeaders } from './cors.ts';
import type { Deps } from './deps.ts';
import { objectHeaders, sendObject } from './downloads.ts';
import { errors, StorageError } from './errors.ts';
import { type Context, decodeSegment, drain, sendEmpty } from './http.ts';
import { checkPreconditions, preconditionsFromHeaders } from './preconditions.ts';
import { type ObjectFields, STRING_FIELDS } from './records.ts';
import { SignatureVerifier } from './signing.ts';
import { sessionRequest } from './uploads.ts';

const FIELD_HEADERS: Record<(typeof STRING_FIELDS)[number], string> = {
  contentType: 'content-type',
  contentEncoding: 'content-encoding',
  contentDisposition: 'content-disposition',
  contentLanguage: 'content-language',
  cacheControl: 'cache-control',
  customTime: 'x-goog-custom-time',
};

export async function handleXmlApi(ctx: Context, deps: Deps, segments: string[]): Promise<void> {
  const bucketRecord = segments[0] ? deps.store.findBucket(decodeSegment(segments[0])) : undefined;
  if (ctx.method === 'OPTIONS') {
    await drain(ctx.req);
    return answerPreflight(ctx, bucketRecord);
  }
  // Set before any answer (errors included): a browser can read only what CORS lets through.
  for (const [name, value] of Object.entries(corsHeaders(ctx, bucketRecord))) {
    if (value !== undefined) ctx.res.setHeader(name, value);
  }
  const uploadId = ctx.query.get('upload_id');
  if (uploadId) return sessionRequest(ctx, deps, uploadId);
  if (segments.length < 2 || segments.slice(1).join('') === '') {
    throw errors.notImplemented(`${ctx.method} on the XML API for a bucket (only objects are served)`);
  }
  const bucket = decodeSegment(segments[0]!);
  const name = segments.slice(1).map(decodeSegment).join('/');
  if (!SignatureVerifier.isSigned(ctx.rawQuery)) throw anonymous(ctx.method);
  const signature = deps.verifier.verify({
    method: ctx.method,
    rawPath: ctx.rawPath,
    rawQuery: ctx.rawQuery,
    headers: ctx.req.headers,
  });
  const generation = ctx.query.get('generation') ?? undefined;
  const preconditions = preconditionsFromHeaders(ctx.req.headers);

  switch (ctx.method) {
    case 'GET':
    case 'HEAD': {
      await drain(ctx.req);
      const object = deps.store.object(bucket, name, {
        preconditions,
        ...(generation ? { generation } : {}),
      });
      const contentType = ctx.query.get('response-content-type') ?? undefined;
      const contentDisposition = ctx.query.get('response-content-disposition') ?? undefined;
      return sendObject(ctx, deps.store, object, {
        headOnly: ctx.method === 'HEAD',
        customMetadataHeaders: true,
        overrides: {
          ...(contentType ? { contentType } : {}),
          ...(contentDisposition ? { contentDisposition } : {}),
        },
      });
    }
    case 'PUT': {
      const range = lengthRangeOf(ctx.req.headers);
      checkAnnouncedLength(ctx.req.headers, range);
      checkPreconditions(deps.store.peek(bucket, name), preconditions, 'write');
      const expected: ExpectedHashes = expectedHashes(ctx.req.headers);
      if (signature.payloadSha256 && signature.payloadSha256 !== 'UNSIGNED-PAYLOAD') {
        expected.sha256Hex = signature.payloadSha256;
      }
      const content = await writeContent(await deps.store.createWriter(), ctx.req, expected, range);
      const fields = fieldsFromHeaders(ctx.req.headers);
      const record = await deps.store.insertObject(bucket, name, content, fields, preconditions);
      return sendEmpty(ctx, 200, objectHeaders(record, false));
    }
    case 'DELETE': {
      await drain(ctx.req);
      await deps.store.deleteObject(bucket, name, { preconditions, ...(generation ? { generation } : {}) });
      return sendEmpty(ctx, 204);
    }
    case 'POST': {
      await drain(ctx.req);
      if (String(ctx.req.headers['x-goog-resumable']).toLowerCase() !== 'start') {
        throw errors.notImplemented('POST on the XML API other than `x-goog-resumable: start`');
      }
      checkPreconditions(deps.store.peek(bucket, name), preconditions, 'write');
      const range = lengthRangeOf(ctx.req.headers);
      const session = await deps.sessions.create(
        {
          bucket,
          name,
          fields: fieldsFromHeaders(ctx.req.headers),
          preconditions,
          ...(range ? { lengthRange: range } : {}),
        },
        'xml',
      );
      const path = name.split('/').map(encodeURIComponent).join('/');
      const location = `${ctx.baseUrl}/${encodeURIComponent(bucket)}/${path}?upload_id=${session.id}`;
      return sendEmpty(ctx, 201, { Location: location, 'X-GUploader-UploadID': session.id });
    }
    default:
      throw errors.notImplemented(`${ctx.method} on the XML API`);
  }
}

/** Object metadata an XML request states in its headers (`x-goog-meta-*` for custom keys). */
function fieldsFromHeaders(headers: IncomingHttpHeaders): ObjectFields {
  const fields: ObjectFields = {};
  for (const key of STRING_FIELDS) {
    const value = headers[FIELD_HEADERS[key]];
    if (typeof value === 'string' && value !== '') fields[key] = value;
  }
  const metadata: Record<string, string> = {};
  for (const [header, value] of Object.entries(headers)) {
    if (header.startsWith('x-goog-meta-') && value !== undefined) {
      metadata[header.slice('x-goog-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
    }
  }
  if (Object.keys(metadata).length > 0) fields.metadata = metadata;
  return fields;
}

function anonymous(method: string): StorageError {
  const permission = method === 'GET' || method === 'HEAD' ? 'storage.objects.get' : 'storage.objects.create';
  return new StorageError({
    status: 403,
    reason: 'forbidden',
    xmlCode: 'AccessDenied',
    message: 'Access denied.',
    details: `Anonymous caller does not have ${permission} access to the Google Cloud Storage object. (The emulator serves the XML API through V4 signed URLs only.)`,
  });
}
