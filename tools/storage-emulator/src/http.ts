/**
 * The little HTTP plumbing every API module shares: the per-request context, JSON bodies
 * in and out, and draining a body we refuse (so the client reads our error instead of a
 * reset connection while it is still sending 25 MiB).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { errors } from './errors.ts';

export interface Context {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path as sent (still percent-encoded), without the query. */
  rawPath: string;
  /** Query as sent, without `?`. */
  rawQuery: string;
  query: URLSearchParams;
  /** `http://host:port` as the client addressed us: links we hand out must work for it. */
  baseUrl: string;
  /** Which error shape to answer with. */
  api: 'json' | 'xml';
}

const JSON_TYPE = 'application/json; charset=UTF-8';
const MAX_JSON_BODY = 1024 * 1024;

export function sendJson(
  ctx: Context,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const text = JSON.stringify(body);
  ctx.res.writeHead(status, {
    ...headers,
    'Content-Type': JSON_TYPE,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, no-store, max-age=0, must-revalidate',
  });
  ctx.res.end(text);
}

export function sendEmpty(ctx: Context, status: number, headers: OutgoingHttpHeaders = {}): void {
  ctx.res.writeHead(status, { ...headers, 'Content-Length': 0 });
  ctx.res.end();
}

/**
 * Reads the rest of the body and throws it away; resolves when it is gone or the client
 * left. Iterates rather than `resume()`s: a body already half-read through an async
 * iterator ignores `resume()`.
 */
export async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded || req.destroyed) return;
  try {
    for await (const _chunk of req) {
      // Discarded.
    }
  } catch {
    // The client went away: nothing left to drain.
  }
}

export async function readBody(req: IncomingMessage, limit = MAX_JSON_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw errors.badRequest(`Request body larger than ${limit} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The JSON body, or undefined when there is none. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  return parseJson(body);
}

export function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw errors.badRequest('Parse Error: the request body is not valid JSON.', 'parseError');
  }
}

export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw errors.badRequest(`Malformed percent-encoding in path segment '${segment.slice(0, 100)}'.`);
  }
}

/** A non-negative integer query parameter, or undefined. */
export function intParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d{1,15}$/.test(raw)) throw errors.badRequest(`Invalid value for ${name}: '${raw}'.`);
  return Number(raw);
}
