/**
 * CORS on the XML API, from the bucket's own `cors` configuration as GCS applies it: a
 * browser on another origin may use a signed URL only if a rule lists its origin, the
 * method, and (for a preflight) every request header it wants to send. Nothing is allowed
 * by default, so a web client that works against the emulator also needs the bucket CORS
 * that Terraform must set in the cloud.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { Context } from './http.ts';
import type { BucketRecord } from './records.ts';

interface CorsRule {
  origin?: string[];
  method?: string[];
  responseHeader?: string[];
  maxAgeSeconds?: number;
}

function rulesOf(bucket: BucketRecord): CorsRule[] {
  const cors = bucket.settings.cors;
  return Array.isArray(cors) ? cors.filter((r): r is CorsRule => typeof r === 'object' && r !== null) : [];
}

const lower = (values: string[] | undefined) => (values ?? []).map((v) => v.toLowerCase());

function matching(
  bucket: BucketRecord,
  origin: string,
  method: string,
  headers: string[] = [],
): CorsRule | undefined {
  return rulesOf(bucket).find((rule) => {
    const origins = rule.origin ?? [];
    if (!origins.includes('*') && !origins.includes(origin)) return false;
    if (!lower(rule.method).includes(method.toLowerCase()) && !(rule.method ?? []).includes('*')) {
      return false;
    }
    const allowed = lower(rule.responseHeader);
    return headers.every((h) => allowed.includes(h) || allowed.includes('*'));
  });
}

/** Headers for an actual cross-origin request (none when no rule allows it). */
export function corsHeaders(ctx: Context, bucket: BucketRecord | undefined): OutgoingHttpHeaders {
  const origin = ctx.req.headers.origin;
  if (!origin || !bucket) return {};
  const rule = matching(bucket, origin, ctx.method);
  if (!rule) return {};
  const headers: OutgoingHttpHeaders = { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
  if (rule.responseHeader?.length) headers['Access-Control-Expose-Headers'] = rule.responseHeader.join(', ');
  return headers;
}

/** Answers an OPTIONS preflight: 200 with the grant, or 403 when no rule covers it. */
export function answerPreflight(ctx: Context, bucket: BucketRecord | undefined): void {
  const origin = ctx.req.headers.origin;
  const method = ctx.req.headers['access-control-request-method'];
  const requested = String(ctx.req.headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const rule =
    origin && typeof method === 'string' && bucket ? matching(bucket, origin, method, requested) : undefined;
  if (!rule || !origin) {
    ctx.res.writeHead(403, { 'Content-Length': 0 });
    ctx.res.end();
    return;
  }
  const headers: OutgoingHttpHeaders = {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': (rule.method ?? []).join(', '),
    Vary: 'Origin',
    'Content-Length': 0,
  };
  if (requested.length > 0) headers['Access-Control-Allow-Headers'] = requested.join(', ');
  if (rule.maxAgeSeconds !== undefined) headers['Access-Control-Max-Age'] = String(rule.maxAgeSeconds);
  ctx.res.writeHead(200, headers);
  ctx.res.end();
}
