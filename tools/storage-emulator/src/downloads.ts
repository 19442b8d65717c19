/**
 * Serving object bytes (JSON API `alt=media`, `/download/…`, and signed XML GETs): single
 * byte ranges (206 + `Content-Range`, 416 past the end), the `x-goog-hash` header the
 * client validates whole downloads against, and gzip objects sent as stored to clients that
 * accept gzip or decompressed for the others (GCS's "decompressive transcoding").
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { errors } from './errors.ts';
import type { Context } from './http.ts';
import type { ObjectRecord } from './records.ts';
import type { Store } from './store.ts';

/** The object headers GCS's XML API (and media downloads) carry. */
export function objectHeaders(o: ObjectRecord, withCustomMetadata: boolean): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    ETag: `"${Buffer.from(o.md5Hash, 'base64').toString('hex')}"`,
    'Last-Modified': new Date(o.updated).toUTCString(),
    'x-goog-generation': o.generation,
    'x-goog-metageneration': String(o.metageneration),
    'x-goog-hash': `crc32c=${o.crc32c},md5=${o.md5Hash}`,
    'x-goog-stored-content-length': String(o.size),
    'x-goog-stored-content-encoding': o.contentEncoding ?? 'identity',
    'x-goog-storage-class': 'STANDARD',
  };
  if (withCustomMetadata) {
    for (const [key, value] of Object.entries(o.metadata ?? {})) headers[`x-goog-meta-${key}`] = value;
  }
  return headers;
}

/** `[start, end)` of a single-range `Range` header; undefined serves the whole object. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!header || size === 0) return undefined;
  const match = header.trim().match(/^bytes=(\d*)-(\d*)$/);
  // Several ranges, or something else: GCS answers with the whole object.
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(match[1]);
  if (start >= size) throw errors.rangeNotSatisfiable(size);
  const end = match[2] === '' ? size : Math.min(Number(match[2]) + 1, size);
  if (end <= start) throw errors.rangeNotSatisfiable(size);
  return { start, end };
}

export interface SendOptions {
  /** HEAD: headers only. */
  headOnly?: boolean;
  /** XML API: custom metadata as `x-goog-meta-*` headers. */
  customMetadataHeaders?: boolean;
  /** Signed URL `response-content-type` / `response-content-disposition` overrides. */
  overrides?: { contentType?: string; contentDisposition?: string };
}

export async function sendObject(
  ctx: Context,
  store: Store,
  o: ObjectRecord,
  options: SendOptions = {},
): Promise<void> {
  const headers: OutgoingHttpHeaders = {
    ...objectHeaders(o, options.customMetadataHeaders ?? false),
    'Content-Type': options.overrides?.contentType ?? o.contentType,
    'Cache-Control': o.cacheControl ?? 'private, max-age=0',
    'Accept-Ranges': 'bytes',
  };
  const disposition = options.overrides?.contentDisposition ?? o.contentDisposition;
  if (disposition) headers['Content-Disposition'] = disposition;
  if (o.contentLanguage) headers['Content-Language'] = o.contentLanguage;

  const gzipped = o.contentEncoding === 'gzip';
  const acceptsGzip = /\bgzip\b/i.test(String(ctx.req.headers['accept-encoding'] ?? ''));
  const transcode = gzipped && !acceptsGzip && !/\bno-transform\b/i.test(o.cacheControl ?? '');
  if (transcode) {
    // The whole object, decompressed: length unknown up front, ranges not honoured (as GCS).
    headers.Warning = '214 UploadServer gunzipped';
    ctx.res.writeHead(200, headers);
    if (options.headOnly) return void ctx.res.end();
    await pipe(store, o, 0, o.size, ctx, true);
    return;
  }
  if (gzipped) headers['Content-Encoding'] = 'gzip';

  const range = parseRange(ctx.req.headers.range, o.size);
  const start = range?.start ?? 0;
  const end = range?.end ?? o.size;
  headers['Content-Length'] = end - start;
  if (range) headers['Content-Range'] = `bytes ${start}-${end - 1}/${o.size}`;
  ctx.res.writeHead(range ? 206 : 200, headers);
  if (options.headOnly || end === start) return void ctx.res.end();
  await pipe(store, o, start, end, ctx, false);
}

async function pipe(
  store: Store,
  o: ObjectRecord,
  start: number,
  end: number,
  ctx: Context,
  gunzip: boolean,
) {
  const source = store.read(o, start, end);
  try {
    if (gunzip) await pipeline(source, createGunzip(), ctx.res);
    else await pipeline(source, ctx.res);
  } catch {
    // The client stopped reading (or the gzip was corrupt): the response is already cut.
    ctx.res.destroy();
  }
}
