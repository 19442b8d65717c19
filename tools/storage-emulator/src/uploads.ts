/**
 * The upload endpoint, `/upload/storage/v1/b/{bucket}/o`: `uploadType=media` (the body is
 * the object), `multipart` (JSON metadata part + media part) and `resumable` (a session,
 * then PUTs with `Content-Range`). Resumable PUTs are shared with XML API sessions. A
 * request that cannot succeed (no bucket, a precondition already false) is refused before
 * its body is read; preconditions are checked again when the object is committed.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import {
  checkAnnouncedLength,
  checkHashes,
  type ExpectedHashes,
  expectedHashes,
  lengthRangeOf,
  writeContent,
} from './content.ts';
import type { Deps } from './deps.ts';
import { objectHeaders } from './downloads.ts';
import { errors, type StorageError } from './errors.ts';
import { type Context, decodeSegment, drain, parseJson, readBody, sendEmpty, sendJson } from './http.ts';
import { boundaryOf, readMultipart } from './multipart.ts';
import { checkPreconditions, type Preconditions, preconditionsFromQuery } from './preconditions.ts';
import { type ObjectFields, type ObjectRecord, parseObjectFields } from './records.ts';
import { objectResource } from './resources.ts';
import type { UploadSession, UploadTarget } from './upload-sessions.ts';

export async function handleUpload(ctx: Context, deps: Deps, segments: string[]): Promise<void> {
  if (segments.length !== 3 || segments[0] !== 'b' || segments[2] !== 'o') {
    throw errors.notImplemented(`${ctx.method} /upload/storage/v1/${segments.join('/')}`);
  }
  const bucket = decodeSegment(segments[1]!);
  const uploadId = ctx.query.get('upload_id');
  if (uploadId) return sessionRequest(ctx, deps, uploadId);
  if (ctx.method !== 'POST') {
    throw errors.notImplemented(`${ctx.method} on the upload endpoint without upload_id`);
  }
  const uploadType = ctx.query.get('uploadType');
  const preconditions = preconditionsFromQuery(ctx.query);
  if (uploadType === 'media') return mediaUpload(ctx, deps, bucket, preconditions);
  if (uploadType === 'multipart') return multipartUpload(ctx, deps, bucket, preconditions);
  if (uploadType === 'resumable') return startResumable(ctx, deps, bucket, preconditions);
  throw errors.badRequest(`Unsupported uploadType: '${uploadType ?? ''}' (media, multipart or resumable).`);
}

/** PUT (bytes or status query) or DELETE (cancel) on a session, from either API. */
export async function sessionRequest(ctx: Context, deps: Deps, uploadId: string): Promise<void> {
  const session = deps.sessions.get(uploadId);
  if (ctx.method === 'DELETE') {
    await deps.sessions.cancel(uploadId);
    // GCS's answer to a cancelled session: 499 "Client Closed Request".
    return sendEmpty(ctx, 499);
  }
  if (ctx.method !== 'PUT' && ctx.method !== 'POST') {
    throw errors.notImplemented(`${ctx.method} on a resumable upload session`);
  }
  return putToSession(ctx, deps, session);
}

/** Refuses early what the commit would refuse anyway, before reading any body. */
function precheck(
  deps: Deps,
  bucket: string,
  name: string | undefined,
  preconditions: Preconditions,
): string {
  if (!name) throw errors.badRequest('Required parameter: name.', 'required');
  checkPreconditions(deps.store.peek(bucket, name), preconditions, 'write');
  return name;
}

async function mediaUpload(
  ctx: Context,
  deps: Deps,
  bucket: string,
  preconditions: Preconditions,
): Promise<void> {
  const name = precheck(deps, bucket, ctx.query.get('name') ?? undefined, preconditions);
  const fields: ObjectFields = {};
  const type = ctx.req.headers['content-type'];
  if (type) fields.contentType = type;
  const encoding = ctx.query.get('contentEncoding');
  if (encoding) fields.contentEncoding = encoding;
  const range = lengthRangeOf(ctx.req.headers);
  checkAnnouncedLength(ctx.req.headers, range);
  const content = await writeContent(
    await deps.store.createWriter(),
    ctx.req,
    expectedHashes(ctx.req.headers),
    range,
  );
  const record = await deps.store.insertObject(bucket, name, content, fields, preconditions);
  sendJson(ctx, 200, objectResource(record, ctx.baseUrl));
}

async function multipartUpload(ctx: Context, deps: Deps, bucket: string, preconditions: Preconditions) {
  const multipart = await readMultipart(ctx.req, boundaryOf(ctx.req.headers['content-type']));
  try {
    const fields = parseObjectFields(multipart.metadata).set;
    if (!fields.contentType && multipart.mediaType) fields.contentType = multipart.mediaType;
    const name = precheck(deps, bucket, ctx.query.get('name') ?? nameIn(multipart.metadata), preconditions);
    const content = await writeContent(
      await deps.store.createWriter(),
      multipart.media,
      expectedHashes(ctx.req.headers),
      lengthRangeOf(ctx.req.headers),
    );
    const record = await deps.store.insertObject(bucket, name, content, fields, preconditions);
    await multipart.rest();
    sendJson(ctx, 200, objectResource(record, ctx.baseUrl));
  } finally {
    // Also on a refusal: the client reads our answer only once its body is taken.
    await multipart.rest();
  }
}

function nameIn(metadata: unknown): string | undefined {
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const name = (metadata as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

async function startResumable(ctx: Context, deps: Deps, bucket: string, preconditions: Preconditions) {
  const metadata = parseJson(await readBody(ctx.req));
  const fields = parseObjectFields(metadata).set;
  // The Node client moves contentType out of the metadata into this header.
  const announcedType = ctx.req.headers['x-upload-content-type'];
  if (typeof announcedType === 'string' && announcedType && !fields.contentType)
    fields.contentType = announcedType;
  const name = precheck(deps, bucket, ctx.query.get('name') ?? nameIn(metadata), preconditions);
  const range = lengthRangeOf(ctx.req.headers);
  const target: UploadTarget = {
    bucket,
    name,
    fields,
    preconditions,
    ...(range ? { lengthRange: range } : {}),
  };
  const declared = ctx.req.headers['x-upload-content-length'];
  if (typeof declared === 'string' && /^\d+$/.test(declared)) target.declaredSize = Number(declared);
  const session = await deps.sessions.create(target, 'json');
  const location = `${ctx.baseUrl}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${session.id}`;
  sendEmpty(ctx, 200, { Location: location, 'X-GUploader-UploadID': session.id });
}

/** Where a `Content-Range` says a PUT's bytes go. */
type RangeSpec =
  | { kind: 'status'; total?: number }
  /** `end` inclusive; undefined: the body runs to the end of the object. */
  | { kind: 'chunk'; start: number; end?: number; total?: number };

/**
 * The Content-Range forms, in words (a star-slash would end this comment):
 * - "bytes STAR/STAR" asks for status; "bytes STAR/N" too, and finishes if all N bytes are in;
 * - "bytes S-E/N" and "bytes S-E/STAR" carry bytes S..E (E = S-1: none, as in "bytes 0--1/0");
 * - "bytes S-STAR/N", "bytes S-STAR/STAR" and no header at all carry the rest of the object
 *   (the Node client's single-request mode sends "bytes 0-STAR/undefined" when it does not
 *   know the size: a total that is not a number counts as unknown).
 */
function parseContentRange(header: string | undefined): RangeSpec {
  if (header === undefined || header.trim() === '') return { kind: 'chunk', start: 0 };
  const text = header.trim();
  const status = text.match(/^bytes \*\/(\d+|\*)$/i);
  if (status) return status[1] === '*' ? { kind: 'status' } : { kind: 'status', total: Number(status[1]) };
  const chunk = text.match(/^bytes (\d+)-(-1|\d+|\*)\/(\S+)$/i);
  if (!chunk) throw errors.badRequest(`Invalid Content-Range: '${text}'.`);
  const start = Number(chunk[1]);
  const total = /^\d+$/.test(chunk[3]!) ? Number(chunk[3]) : undefined;
  if (chunk[2] === '*') return { kind: 'chunk', start, ...(total === undefined ? {} : { total }) };
  const end = Number(chunk[2]);
  if (end < start - 1 || (total !== undefined && end >= total)) {
    throw errors.badRequest(`Invalid Content-Range: '${text}'.`);
  }
  return { kind: 'chunk', start, end, ...(total === undefined ? {} : { total }) };
}

async function putToSession(ctx: Context, deps: Deps, session: UploadSession): Promise<void> {
  const spec = parseContentRange(ctx.req.headers['content-range']);
  const expected = expectedHashes(ctx.req.headers);
  await session.exclusive(async () => {
    if (session.result) {
      await drain(ctx.req);
      return answerFinished(ctx, session, session.result);
    }
    if (spec.kind === 'status') {
      await drain(ctx.req);
      if (spec.total !== undefined && spec.total === session.received) {
        return finalize(ctx, deps, session, expected);
      }
      return answerIncomplete(ctx, session);
    }
    if (spec.start > session.persisted) {
      throw errors.badRequest(
        `Invalid request: the Content-Range starts at byte ${spec.start} but only ${session.persisted} bytes were persisted.`,
      );
    }
    // A retry may re-send bytes we already have: skip them.
    let skip = session.persisted - spec.start;
    let refusal: StorageError | undefined;
    try {
      for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
        if (refusal) continue;
        let data = chunk;
        if (skip > 0) {
          const n = Math.min(skip, data.length);
          data = data.subarray(n);
          skip -= n;
        }
        if (data.length === 0) continue;
        const range = session.target.lengthRange;
        if (range && session.received + data.length > range.max) {
          refusal = errors.lengthOutOfRange(session.received + data.length, range);
          continue;
        }
        const limit = spec.total ?? session.target.declaredSize;
        if (limit !== undefined && session.received + data.length > limit) {
          // Keep reading (and discarding) so the client can read this answer.
          refusal = errors.badRequest(`The upload exceeds its declared size of ${limit} bytes.`);
          continue;
        }
        await session.append(data);
      }
    } catch (error) {
      session.dropTail();
      // The client went away mid-request: the whole units stay persisted, nobody to answer.
      if (ctx.req.errored) return;
      throw error;
    }
    if (refusal) {
      session.dropTail();
      throw refusal;
    }
    const last = spec.end === undefined || (spec.total !== undefined && spec.end + 1 === spec.total);
    if (last && (spec.total === undefined || session.received === spec.total)) {
      return finalize(ctx, deps, session, expected);
    }
    session.dropTail();
    answerIncomplete(ctx, session);
  });
}

async function finalize(ctx: Context, deps: Deps, session: UploadSession, expected: ExpectedHashes) {
  const { target } = session;
  const content = await session.finish();
  let record: ObjectRecord;
  try {
    const range = target.lengthRange;
    if (range && (content.size < range.min || content.size > range.max)) {
      throw errors.lengthOutOfRange(content.size, range);
    }
    if (target.declaredSize !== undefined && content.size !== target.declaredSize) {
      throw errors.badRequest(
        `The upload has ${content.size} bytes but X-Upload-Content-Length announced ${target.declaredSize}.`,
      );
    }
    checkHashes(content, expected);
  } catch (error) {
    deps.store.discard(content);
    deps.sessions.forget(session.id);
    throw error;
  }
  try {
    record = await deps.store.insertObject(
      target.bucket,
      target.name,
      content,
      target.fields,
      target.preconditions,
    );
  } catch (error) {
    deps.sessions.forget(session.id);
    throw error;
  }
  session.result = record;
  answerFinished(ctx, session, record);
}

function answerIncomplete(ctx: Context, session: UploadSession): void {
  const headers: OutgoingHttpHeaders = { 'X-GUploader-UploadID': session.id, 'Content-Length': 0 };
  // No Location header: HTTP clients would take this 308 for a redirect.
  if (session.persisted > 0) headers.Range = `bytes=0-${session.persisted - 1}`;
  ctx.res.writeHead(308, 'Resume Incomplete', headers);
  ctx.res.end();
}

function answerFinished(ctx: Context, session: UploadSession, record: ObjectRecord): void {
  if (session.api === 'json') sendJson(ctx, 200, objectResource(record, ctx.baseUrl));
  else sendEmpty(ctx, 200, objectHeaders(record, false));
}
